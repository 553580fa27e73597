// The Azure LLM trace reader: rows, offsets, and bad rows named by line.

#include <filesystem>

#include <catch2/catch.hpp>

#include "epara/error.hpp"
#include "epara/sim/trace.hpp"

using namespace epara;
using namespace epara::sim;
using std::chrono::milliseconds;

TEST_CASE("Trace rows: offsets from the first timestamp, token counts as given", "[sim][trace]") {
  const auto rows = parse_azure_trace(
      "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
      "2023-11-16 18:15:46.6805900,374,44\r\n"
      "2023-11-16 18:15:46.6805900,10,0\r\n"
      "\r\n"
      "2023-11-16 18:15:47.0,1,2\n"
      "2023-11-17 00:00:00,5,6\n",
      "t.csv");
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == TraceRow{Duration::zero(), 374, 44});
  CHECK(rows[1] == TraceRow{Duration::zero(), 10, 0});  // equal timestamps are fine
  CHECK(rows[2].offset == Duration{319'410'000});
  // Across midnight: 5 h 44 min 13.31941 s after the first row.
  CHECK(rows[3].offset == Duration{(5 * 3600 + 44 * 60 + 13) * 1'000'000'000LL + 319'410'000});
  CHECK(parse_azure_trace("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-01-01 00:00:00,1,1\n"
                          "2023-01-01 00:00:01,1,1\n",
                          "t", 1)
            .size() == 1);
  CHECK(parse_azure_trace("TIMESTAMP,ContextTokens,GeneratedTokens\n", "t").empty());
}

TEST_CASE("A bad trace row is an error naming the file, the line and the problem", "[sim][trace]") {
  struct Case {
    const char* row;
    const char* message;
  };
  const Case cases[] = {
      {"2023-11-16 18:15:46.1,374", "t.csv:3: expected 3 columns"},
      {"2023-11-16 18:15:46.1,374,44,1", "t.csv:3: expected 3 columns"},
      {"16/11/2023 18:15:46,374,44", "t.csv:3: malformed TIMESTAMP"},
      {"2023-13-16 18:15:46,374,44", "t.csv:3: malformed TIMESTAMP"},
      {"2023-11-16 18:15:46.,374,44", "t.csv:3: malformed TIMESTAMP"},
      {"2023-11-16 18:15:46.1x,374,44", "t.csv:3: malformed TIMESTAMP"},
      {"2023-11-16 18:15:46.1,-3,44", "t.csv:3: ContextTokens must be a non-negative integer"},
      {"2023-11-16 18:15:46.1,3.5,44", "t.csv:3: ContextTokens must be a non-negative integer"},
      {"2023-11-16 18:15:46.1,374,", "t.csv:3: GeneratedTokens must be a non-negative integer"},
      {"2023-11-16 18:15:40,374,44", "t.csv:3: TIMESTAMP earlier than the previous row's"},
      // Nanoseconds since 1970 overflow int64 from 2262 on; a span beyond 10^6 s would overflow
      // once divided by the smallest speedup.
      {"2262-01-01 00:00:00,374,44", "t.csv:3: malformed TIMESTAMP"},
      {"2023-12-30 00:00:00,374,44", "t.csv:3: the trace spans more than 1e+06 s"},
  };
  for (const Case& c : cases) {
    INFO(c.row);
    const std::string text =
        std::string("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:45,1,1\n") + c.row +
        "\n";
    CHECK_THROWS_AS(parse_azure_trace(text, "t.csv"), InvalidArgument);
    CHECK_THROWS_WITH(parse_azure_trace(text, "t.csv"),
                      Catch::StartsWith(c.message) && Catch::Contains(c.row));
  }
}

TEST_CASE("A trace from 1710 to 2023 is refused without overflow", "[sim][trace]") {
  // Found by fuzz_trace_parser (fuzz/corpus/trace_parser/span_overflow.csv): the span, 9.9e18
  // ns, overflowed int64 when subtracted.
  CHECK_THROWS_WITH(parse_azure_trace("TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                      "1710-11-16 18:15:46.6805900,374,44\n"
                                      "2023-11-16 18:15:50.990,396,109\n",
                                      "t.csv"),
                    Catch::StartsWith("t.csv:3: the trace spans more than 1e+06 s"));
}

TEST_CASE("A trace without its header, empty, or a directory is an error naming it",
          "[sim][trace]") {
  CHECK_THROWS_WITH(parse_azure_trace("", "t.csv"), Catch::StartsWith("t.csv: empty file"));
  CHECK_THROWS_WITH(parse_azure_trace("2023-11-16 18:15:45,1,1\n", "t.csv"),
                    Catch::StartsWith("t.csv:1: expected the header "
                                      "'TIMESTAMP,ContextTokens,GeneratedTokens'"));
  CHECK_THROWS_WITH(parse_azure_trace("TIMESTAMP,Context,Generated\n", "t.csv"),
                    Catch::StartsWith("t.csv:1: expected the header"));
  CHECK_THROWS_WITH(load_azure_trace(std::filesystem::temp_directory_path()),
                    Catch::Contains("is a directory, not a file"));
}

TEST_CASE("A missing trace file is an error naming it", "[sim][trace]") {
  CHECK_THROWS_WITH(load_azure_trace("/nonexistent/trace.csv"),
                    Catch::Contains("/nonexistent/trace.csv"));
}

TEST_CASE("The vendored trace slice parses", "[sim][trace]") {
  const auto rows = load_azure_trace(EPARA_TRACE_CSV);
  REQUIRE(rows.size() > 1000);
  for (std::size_t i = 1; i < rows.size(); ++i) REQUIRE(rows[i].offset >= rows[i - 1].offset);
  CHECK(rows.back().offset <= std::chrono::minutes(10));
}
