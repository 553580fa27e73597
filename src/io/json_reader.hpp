#pragma once
// A read cursor over a parsed JSON document that knows its path, so every error names the file
// and the field: "testbed.json: services[3].slo.deadline_ms: must be > 0 (got -5)".

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "epara/units.hpp"

namespace epara::io::detail {

/// Parses `text`, rejecting syntax errors ("file:line:column: ...") and repeated keys in an
/// object (which JSON parsers otherwise resolve silently, last one wins).
nlohmann::json parse_json(std::string_view text, std::string_view source);

/// Bytes in the units JSON fields are given in (JsonNode::bytes).
inline constexpr double kib = 1024.0;
inline constexpr double mib = 1024.0 * kib;
inline constexpr double gib = 1024.0 * mib;

class JsonNode {
 public:
  JsonNode(const nlohmann::json& value, std::string_view source, std::string path = {})
      : value_(&value), source_(source), path_(std::move(path)) {}

  const std::string& path() const noexcept { return path_; }
  const nlohmann::json& raw() const noexcept { return *value_; }

  /// Throws InvalidArgument "source: path: message".
  [[noreturn]] void fail(std::string_view message) const;
  /// Throws InvalidArgument "source: path.key: message", for a field of this object (present
  /// or not).
  [[noreturn]] void fail_at(std::string_view key, std::string_view message) const;

  /// Requires an object whose keys are all in `allowed`; returns *this for chaining.
  const JsonNode& expect_object(std::initializer_list<std::string_view> allowed) const;
  /// The required field `key` of this object.
  JsonNode at(std::string_view key) const;
  /// The field `key` of this object, if present.
  std::optional<JsonNode> find(std::string_view key) const;
  /// The elements of this array.
  std::vector<JsonNode> elements() const;

  std::string string() const;
  bool boolean() const;
  std::string name() const;  ///< a non-empty string
  double number() const;     ///< a finite number
  double positive() const;
  double non_negative() const;
  int positive_int(int max) const;  ///< an integer in [1, max]
  int integer_in(int min, int max) const;

  /// Whether 0 is a valid value of a quantity.
  enum class Zero { Refused, Allowed };
  /// A number in [min, max], or in (min, max] when zero is refused and min is 0.
  double number_in(double min, double max, Zero zero = Zero::Allowed) const;
  /// The unit a time field is written in.
  enum class TimeUnit { Milliseconds, Seconds };
  /// A time of at most limits::max_seconds; a positive one must be at least a nanosecond, the
  /// simulator's resolution.
  Duration time(TimeUnit unit, Zero zero) const;
  Duration milliseconds(Zero zero) const { return time(TimeUnit::Milliseconds, zero); }
  Duration seconds(Zero zero) const { return time(TimeUnit::Seconds, zero); }
  /// A period from `min_s` seconds to limits::max_seconds: something done every period costs
  /// work per period, so a period has a floor.
  Duration period(TimeUnit unit, double min_s) const;
  /// A size in units of `unit` bytes, at most `max` units; a positive one at least a byte.
  Bytes bytes(double unit, double max, Zero zero) const;

  /// One of the given strings, mapped to its value.
  template <class T>
  T choice(std::initializer_list<std::pair<std::string_view, T>> options) const {
    const std::string text = string();
    for (const auto& [word, value] : options)
      if (word == text) return value;
    fail(choice_error(text, options));
  }

 private:
  template <class T>
  static std::string choice_error(const std::string& text,
                                  std::initializer_list<std::pair<std::string_view, T>> options) {
    std::string words;
    for (const auto& option : options)
      words += (words.empty() ? "'" : ", '") + std::string(option.first) + "'";
    return "must be one of " + words + " (got '" + text + "')";
  }
  void expect_type(bool ok, std::string_view expected) const;
  std::string child_path(std::string_view key) const;

  const nlohmann::json* value_;
  std::string_view source_;
  std::string path_;
};

}  // namespace epara::io::detail
