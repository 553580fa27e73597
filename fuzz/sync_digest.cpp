// Fuzzes the ring's sync message decoder: a message or an error, and a decoded message
// encodes back to exactly the bytes it came from.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "epara/error.hpp"
#include "epara/sync/digest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  epara::SyncMessage message;
  try {
    message = epara::decode(bytes);
  } catch (const epara::Error&) {
    return 0;
  }
  const std::vector<std::uint8_t> again = epara::encode(message);
  if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end())) std::abort();
  return 0;
}
