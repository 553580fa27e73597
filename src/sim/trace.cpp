#include "epara/sim/trace.hpp"

#include <charconv>
#include <string_view>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/io/scenario_json.hpp"
#include "epara/model/limits.hpp"

namespace epara::sim {
namespace {

constexpr int min_year = 1678, max_year = 2261;
constexpr std::string_view header = "TIMESTAMP,ContextTokens,GeneratedTokens";

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

bool read_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

// "YYYY-MM-DD HH:MM:SS[.fraction]" as nanoseconds since the epoch.
std::optional<std::int64_t> parse_timestamp(std::string_view t) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || t[10] != ' ' || t[13] != ':' || t[16] != ':')
    return std::nullopt;
  if (!read_int(t.substr(0, 4), y) || !read_int(t.substr(5, 2), mo) ||
      !read_int(t.substr(8, 2), d) || !read_int(t.substr(11, 2), h) ||
      !read_int(t.substr(14, 2), mi) || !read_int(t.substr(17, 2), s))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  // Nanoseconds since 1970 in an int64 reach from 1677 to 2262.
  if (y < min_year || y > max_year) return std::nullopt;
  std::int64_t fraction_ns = 0;
  if (t.size() > 19) {
    if (t[19] != '.' || t.size() == 20 || t.size() > 29) return std::nullopt;
    std::int64_t scale = 100'000'000;
    for (char c : t.substr(20)) {
      if (c < '0' || c > '9') return std::nullopt;
      fraction_ns += (c - '0') * scale;
      scale /= 10;
    }
  }
  const std::int64_t seconds =
      days_from_civil(y, mo, d) * 86'400 + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + s;
  return seconds * 1'000'000'000 + fraction_ns;
}

}  // namespace

std::vector<TraceRow> parse_azure_trace(std::string_view text, std::string_view source,
                                        std::size_t max_rows) {
  std::vector<TraceRow> rows;
  std::int64_t first = 0, previous = 0;
  std::size_t line_number = 0;
  if (text.empty())
    throw InvalidArgument(fmt::format("{}: empty file: expected the header '{}'", source, header));
  while (!text.empty() && (max_rows == 0 || rows.size() < max_rows)) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto fail = [&](std::string_view why) {
      throw InvalidArgument(fmt::format("{}:{}: {} (row: '{}')", source, line_number, why, line));
    };
    if (line_number == 1) {
      if (line != header) fail(fmt::format("expected the header '{}'", header));
      continue;
    }
    if (line.empty()) continue;
    const std::size_t c1 = line.find(','), c2 = line.find(',', c1 + 1);
    if (c1 == std::string_view::npos || c2 == std::string_view::npos ||
        line.find(',', c2 + 1) != std::string_view::npos)
      fail("expected 3 columns: TIMESTAMP,ContextTokens,GeneratedTokens");
    const auto ts = parse_timestamp(line.substr(0, c1));
    if (!ts)
      fail(fmt::format("malformed TIMESTAMP (expected YYYY-MM-DD HH:MM:SS.fffffff, years {} to {})",
                       min_year, max_year));
    TraceRow row;
    if (!read_int(line.substr(c1 + 1, c2 - c1 - 1), row.context_tokens) || row.context_tokens < 0)
      fail("ContextTokens must be a non-negative integer");
    if (!read_int(line.substr(c2 + 1), row.generated_tokens) || row.generated_tokens < 0)
      fail("GeneratedTokens must be a non-negative integer");
    if (rows.empty()) first = previous = *ts;
    if (*ts < previous) fail("TIMESTAMP earlier than the previous row's");
    // first <= *ts, but their difference can exceed int64 (1700 to 2200): take it unsigned.
    const std::uint64_t span = static_cast<std::uint64_t>(*ts) - static_cast<std::uint64_t>(first);
    if (span > static_cast<std::uint64_t>(limits::max_seconds * 1e9))
      fail(fmt::format("the trace spans more than {:g} s from its first row", limits::max_seconds));
    previous = *ts;
    row.offset = Duration{static_cast<std::int64_t>(span)};
    rows.push_back(row);
  }
  return rows;
}

std::vector<TraceRow> load_azure_trace(const std::filesystem::path& path, std::size_t max_rows) {
  return parse_azure_trace(io::read_text_file(path), path.string(), max_rows);
}

}  // namespace epara::sim
