#include <random>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "epara/units.hpp"

using namespace epara;
using namespace epara::literals;

TEST_CASE("durations are integral nanoseconds with millisecond conversions") {
  STATIC_REQUIRE(std::is_same_v<Duration::rep, std::int64_t> ||
                 std::is_same_v<Duration::rep, long>);
  CHECK(Duration(5ms).count() == 5'000'000);
  CHECK(to_ms(1500us) == Approx(1.5));
  CHECK(to_seconds(2500ms) == Approx(2.5));
  CHECK(from_ms(0.0000004) == Duration{0});  // rounds to the nearest nanosecond
  CHECK(from_ms(0.0000006) == Duration{1});
  CHECK(from_ms(-2.5) == -2500us);
  CHECK(from_seconds(1.25) == 1250ms);
}

TEST_CASE("milliseconds survive a round trip through double") {
  // Property: JSON stores durations as double milliseconds; reading them back must be exact.
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> ns(0, std::int64_t{1} << 50);  // up to ~13 days
  for (int i = 0; i < 10'000; ++i) {
    const Duration d{ns(rng)};
    REQUIRE(from_ms(to_ms(d)) == d);
  }
}

TEST_CASE("bytes: literals, arithmetic and conversions") {
  CHECK((1_KiB).count == 1024);
  CHECK((3_GiB).count == 3LL << 30);
  CHECK((1.5_GiB).count == 3LL << 29);
  CHECK(Bytes::mib(0.5) == 512_KiB);
  CHECK((2_GiB + 512_MiB).as_gib() == Approx(2.5));
  CHECK((1_GiB - 2_GiB).count == -(1LL << 30));  // signed: differences are safe
  CHECK(3_MiB * 2 == 6_MiB);
  CHECK(6_GiB / 4_GiB == Approx(1.5));
  CHECK(1_GiB > 1023_MiB);
}

TEST_CASE("rates and bandwidths") {
  const Rate r = Rate::of(64, 60ms);
  CHECK(r.per_second == Approx(1066.666).epsilon(1e-4));
  CHECK((30_per_s).interval() == Duration{33'333'333});
  CHECK((2.0 * Rate{15}).per_second == 30.0);
  CHECK(Bandwidth::gbit_per_s(8).bytes_per_second == 1e9);
  CHECK(Bandwidth::gbit_per_s(8).as_gbit_per_s() == Approx(8.0));
  // 1 MB over 1 Gbit/s = 8 ms.
  CHECK(transfer_time(Bytes{1'000'000}, Bandwidth::gbit_per_s(1)) == 8ms);
  CHECK(transfer_time(1_GiB, Bandwidth::unlimited()) == Duration::zero());
  CHECK(transfer_time(Bytes{0}, Bandwidth::gbit_per_s(1)) == Duration::zero());
}

TEST_CASE("human-readable formatting") {
  CHECK(format_duration(850ns) == "850 ns");
  CHECK(format_duration(12500ns) == "12.5 µs");
  CHECK(format_duration(40ms) == "40 ms");
  CHECK(format_duration(1250ms) == "1.25 s");
  CHECK(format_duration(3100ms) == "3.1 s");
  CHECK(fmt::format("{}", 512_B) == "512 B");
  CHECK(fmt::format("{}", 200_KiB) == "200 KiB");
  CHECK(fmt::format("{}", 13.5_GiB) == "13.5 GiB");
  CHECK(fmt::format("{}", Rate{30}) == "30/s");
  CHECK(fmt::format("{}", Rate{1066.67}) == "1067/s");
  CHECK(fmt::format("{}", Rate{21.6216}) == "21.6/s");
  CHECK(fmt::format("{}", Bandwidth::gbit_per_s(10)) == "10 Gbit/s");
  CHECK(fmt::format("{}", Bandwidth::unlimited()) == "unlimited");
  CHECK(fmt::format("[{:>8}]", 1_KiB) == "[   1 KiB]");  // width and alignment pass through
}
