#pragma once
// Units of time, memory and rate. Time is integral nanoseconds so that the simulator is exact
// and deterministic; rates and bandwidths are doubles because they are ratios.

#include <chrono>
#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <string>

#include <fmt/format.h>

namespace epara {

/// A span of time in integral nanoseconds.
using Duration = std::chrono::nanoseconds;
/// A point in time. The simulator counts from `Time{}`; a live node reads steady_clock::now().
using Time = std::chrono::time_point<std::chrono::steady_clock, Duration>;

/// Milliseconds as a double, for display and for JSON.
constexpr double to_ms(Duration d) noexcept {
  return std::chrono::duration<double, std::milli>(d).count();
}
constexpr double to_seconds(Duration d) noexcept {
  return std::chrono::duration<double>(d).count();
}
/// Rounds to the nearest nanosecond. `ms` must be finite.
inline Duration from_ms(double ms) noexcept { return Duration{std::llround(ms * 1e6)}; }
inline Duration from_seconds(double s) noexcept { return Duration{std::llround(s * 1e9)}; }

/// A quantity of memory or payload, in bytes. Signed so that differences (free memory after a
/// load) are safe to compute and compare.
struct Bytes {
  std::int64_t count = 0;

  static constexpr Bytes kib(double n) noexcept { return from_double(n * 1024.0); }
  static constexpr Bytes mib(double n) noexcept { return from_double(n * 1024.0 * 1024.0); }
  static constexpr Bytes gib(double n) noexcept {
    return from_double(n * 1024.0 * 1024.0 * 1024.0);
  }
  constexpr double as_kib() const noexcept { return static_cast<double>(count) / 1024.0; }
  constexpr double as_mib() const noexcept { return as_kib() / 1024.0; }
  constexpr double as_gib() const noexcept { return as_mib() / 1024.0; }

  friend constexpr Bytes operator+(Bytes a, Bytes b) noexcept { return {a.count + b.count}; }
  friend constexpr Bytes operator-(Bytes a, Bytes b) noexcept { return {a.count - b.count}; }
  friend constexpr Bytes operator*(Bytes a, std::int64_t n) noexcept { return {a.count * n}; }
  friend constexpr Bytes operator*(std::int64_t n, Bytes a) noexcept { return {a.count * n}; }
  constexpr Bytes& operator+=(Bytes b) noexcept { return count += b.count, *this; }
  constexpr Bytes& operator-=(Bytes b) noexcept { return count -= b.count, *this; }
  /// How many times `b` goes into `a`, as a real number.
  friend constexpr double operator/(Bytes a, Bytes b) noexcept {
    return static_cast<double>(a.count) / static_cast<double>(b.count);
  }
  friend constexpr auto operator<=>(const Bytes&, const Bytes&) = default;

 private:
  static constexpr Bytes from_double(double n) noexcept {
    return {static_cast<std::int64_t>(n < 0 ? n - 0.5 : n + 0.5)};
  }
};

/// Items (requests, frames, tokens) per second.
struct Rate {
  double per_second = 0.0;

  /// The rate of `items` completed every `period`.
  static Rate of(double items, Duration period) noexcept { return {items / to_seconds(period)}; }
  /// Time between consecutive items at this rate.
  Duration interval() const noexcept { return from_seconds(1.0 / per_second); }

  friend constexpr Rate operator+(Rate a, Rate b) noexcept { return {a.per_second + b.per_second}; }
  friend constexpr Rate operator*(Rate a, double k) noexcept { return {a.per_second * k}; }
  friend constexpr Rate operator*(double k, Rate a) noexcept { return {a.per_second * k}; }
  friend constexpr double operator/(Rate a, Rate b) noexcept { return a.per_second / b.per_second; }
  friend constexpr auto operator<=>(const Rate&, const Rate&) = default;
};

/// Bytes per second on a link. Infinite within one server.
struct Bandwidth {
  double bytes_per_second = 0.0;

  // One exact factor (10⁹ / 8 bytes per Gbit) each way, so text round trips are exact.
  static constexpr double bytes_per_gbit = 125'000'000.0;

  static constexpr Bandwidth gbit_per_s(double g) noexcept { return {g * bytes_per_gbit}; }
  static constexpr Bandwidth unlimited() noexcept {
    return {std::numeric_limits<double>::infinity()};
  }
  constexpr double as_gbit_per_s() const noexcept { return bytes_per_second / bytes_per_gbit; }

  friend constexpr auto operator<=>(const Bandwidth&, const Bandwidth&) = default;
};

/// Time to push `size` through `bandwidth` (serialization only; add the link latency).
inline Duration transfer_time(Bytes size, Bandwidth bandwidth) noexcept {
  if (size.count <= 0 || std::isinf(bandwidth.bytes_per_second)) return Duration::zero();
  return from_seconds(static_cast<double>(size.count) / bandwidth.bytes_per_second);
}

namespace detail {
/// Three significant digits, without a trailing ".0", and no exponent below a million.
inline std::string compact_number(double x) {
  if (std::abs(x) >= 1000.0 && std::abs(x) < 1e6) return fmt::format("{:.0f}", x);
  return fmt::format("{:.3g}", x);
}
}  // namespace detail

/// "850 ns", "12.5 µs", "40 ms", "1.25 s".
inline std::string format_duration(Duration d) {
  const auto ns = static_cast<double>(d.count());
  const double magnitude = std::abs(ns);
  if (magnitude < 1e3) return fmt::format("{} ns", d.count());
  if (magnitude < 1e6) return detail::compact_number(ns / 1e3) + " µs";
  if (magnitude < 1e9) return detail::compact_number(ns / 1e6) + " ms";
  return detail::compact_number(ns / 1e9) + " s";
}

namespace literals {
using namespace std::chrono_literals;  // 5ms, 250us, 2s ...
constexpr Bytes operator""_B(unsigned long long n) { return {static_cast<std::int64_t>(n)}; }
constexpr Bytes operator""_KiB(unsigned long long n) {
  return {static_cast<std::int64_t>(n) << 10};
}
constexpr Bytes operator""_MiB(unsigned long long n) {
  return {static_cast<std::int64_t>(n) << 20};
}
constexpr Bytes operator""_GiB(unsigned long long n) {
  return {static_cast<std::int64_t>(n) << 30};
}
constexpr Bytes operator""_GiB(long double n) { return Bytes::gib(static_cast<double>(n)); }
constexpr Rate operator""_per_s(unsigned long long n) { return {static_cast<double>(n)}; }
constexpr Rate operator""_per_s(long double n) { return {static_cast<double>(n)}; }
}  // namespace literals

}  // namespace epara

/// "13.5 GiB", "200 KiB", "512 B".
template <>
struct fmt::formatter<epara::Bytes> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(epara::Bytes b, Context& ctx) const {
    const double magnitude = std::abs(static_cast<double>(b.count));
    std::string text;
    if (magnitude < 1024.0) {
      text = fmt::format("{} B", b.count);
    } else if (magnitude < 1024.0 * 1024.0) {
      text = epara::detail::compact_number(b.as_kib()) + " KiB";
    } else if (magnitude < 1024.0 * 1024.0 * 1024.0) {
      text = epara::detail::compact_number(b.as_mib()) + " MiB";
    } else {
      text = epara::detail::compact_number(b.as_gib()) + " GiB";
    }
    return fmt::formatter<std::string_view>::format(text, ctx);
  }
};

/// "30/s", "1066/s".
template <>
struct fmt::formatter<epara::Rate> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(epara::Rate r, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(
        epara::detail::compact_number(r.per_second) + "/s", ctx);
  }
};

/// "10 Gbit/s", "unlimited".
template <>
struct fmt::formatter<epara::Bandwidth> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(epara::Bandwidth b, Context& ctx) const {
    const std::string text = std::isinf(b.bytes_per_second)
                                 ? std::string("unlimited")
                                 : epara::detail::compact_number(b.as_gbit_per_s()) + " Gbit/s";
    return fmt::formatter<std::string_view>::format(text, ctx);
  }
};
