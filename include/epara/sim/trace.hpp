#pragma once
// The Azure LLM inference trace format (Azure Public Dataset, "Azure LLM inference trace 2023",
// CC-BY 4.0; see docs/simulator.md): one request per row, `TIMESTAMP,ContextTokens,
// GeneratedTokens`, e.g. `2023-11-16 18:15:46.6805900,374,44`.

#include <filesystem>
#include <string_view>
#include <vector>

#include "epara/units.hpp"

namespace epara::sim {

struct TraceRow {
  Duration offset{};  ///< since the first row
  int context_tokens = 0;
  int generated_tokens = 0;
  /// The request's cost in tokens: generated tokens plus the context weighted by
  /// `prefill_weight` (TraceReplay), before it is taken relative to the trace's mean.
  double cost(double prefill_weight) const noexcept {
    return generated_tokens + prefill_weight * context_tokens;
  }
  friend bool operator==(const TraceRow&, const TraceRow&) = default;
};

/// Parses the CSV text (a header line, then rows). `max_rows` > 0 keeps only the first rows.
/// Throws InvalidArgument "source:line: ..." for a row with the wrong number of columns, a
/// malformed timestamp, a token count that is not a non-negative integer, or a timestamp earlier
/// than the previous row's.
std::vector<TraceRow> parse_azure_trace(std::string_view text, std::string_view source,
                                        std::size_t max_rows = 0);

/// Reads and parses the file.
std::vector<TraceRow> load_azure_trace(const std::filesystem::path& path, std::size_t max_rows = 0);

}  // namespace epara::sim
