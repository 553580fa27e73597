#pragma once
// A small, fast, seedable generator (xoshiro256**, seeded by splitmix64) usable with the
// standard distributions. Each workload source has its own, so adding a source does not
// change the others' draws.

#include <cstdint>
#include <limits>

namespace epara::sim::detail {

class Rng {
 public:
  using result_type = std::uint64_t;
  Rng() : Rng(1) {}
  explicit Rng(std::uint64_t seed) {
    for (auto& s : state_) s = splitmix(seed);
  }
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type operator()() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

  /// Seeds for sub-streams: one per (run seed, purpose, index).
  static std::uint64_t derive(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index) {
    std::uint64_t x = seed ^ (purpose * 0x9E3779B97F4A7C15ull) ^ (index * 0xBF58476D1CE4E5B9ull);
    return splitmix(x);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t state_[4]{};
};

}  // namespace epara::sim::detail
