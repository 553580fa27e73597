// Fuzzes the Azure LLM trace parser: rows or an error naming the line, and rows that keep the
// parser's promises (offsets from the first row, never decreasing, within the span limit).

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "epara/error.hpp"
#include "epara/model/limits.hpp"
#include "epara/sim/trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto rows = epara::sim::parse_azure_trace(text, "fuzz.csv");
    epara::Duration previous{};
    for (const epara::sim::TraceRow& r : rows) {
      const bool ordered = r.offset >= previous &&
                           epara::to_seconds(r.offset) <= epara::limits::max_seconds &&
                           r.context_tokens >= 0 && r.generated_tokens >= 0;
      if (!ordered) std::abort();
      previous = r.offset;
    }
    if (!rows.empty() && rows.front().offset != epara::Duration::zero()) std::abort();
  } catch (const epara::Error&) {
  }
  return 0;
}
