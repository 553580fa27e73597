#include "io/json_reader.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/model/limits.hpp"

namespace epara::io::detail {
namespace {

// Line and column (1-based) of byte offset `byte` in `text`.
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t byte) {
  byte = std::min(byte, text.size());
  const std::string_view before = text.substr(0, byte);
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t last_newline = before.rfind('\n');
  const std::size_t column =
      last_newline == std::string_view::npos ? byte : byte - last_newline - 1;
  return {line, column + 1};
}

// Tracks where the parser is, to name a repeated key by its path. One frame per open object or
// array: an object's keys so far and its current key; an array's current index.
class KeyTracker {
 public:
  explicit KeyTracker(std::string_view source) : source_(source) {}

  bool operator()(int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::key: {
        Frame& top = frames_.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second)
          throw InvalidArgument(
              fmt::format("{}: {}: field appears twice in one object", source_, path()));
        break;
      }
      case Event::object_start:
      case Event::array_start:
        next_element();
        frames_.push_back(Frame{event == Event::object_start, {}, {}, -1});
        break;
      case Event::object_end:
      case Event::array_end:
        frames_.pop_back();
        break;
      case Event::value:
        next_element();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool object = false;
    std::set<std::string> keys;
    std::string key;
    long index = -1;
  };
  void next_element() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }
  std::string path() const {
    std::string p;
    for (const Frame& f : frames_) {
      if (f.object)
        p += (p.empty() ? "" : ".") + f.key;
      else
        p += fmt::format("[{}]", f.index);
    }
    return p;
  }

  std::string_view source_;
  std::vector<Frame> frames_;
};

}  // namespace

// nlohmann's message without its "[json.exception.NAME.ID] " prefix and position preamble.
std::string reason_of(const nlohmann::json::exception& e) {
  std::string why = e.what();
  if (const auto bracket = why.find("] "); bracket != std::string::npos) why.erase(0, bracket + 2);
  if (why.rfind("parse error", 0) == 0) {
    if (const auto colon = why.find(": "); colon != std::string::npos) why.erase(0, colon + 2);
  }
  return why;
}

nlohmann::json parse_json(std::string_view text, std::string_view source) {
  try {
    return nlohmann::json::parse(text.begin(), text.end(), KeyTracker(source));
  } catch (const nlohmann::json::parse_error& e) {
    const auto [line, column] = line_column(text, e.byte == 0 ? 0 : e.byte - 1);
    throw InvalidArgument(
        fmt::format("{}:{}:{}: invalid JSON: {}", source, line, column, reason_of(e)));
  } catch (const nlohmann::json::out_of_range& e) {
    // A number too large for a double ("number overflow parsing '1e999'"): nlohmann gives no
    // position, so locate the quoted token in the text.
    const std::string why = reason_of(e);
    const auto open = why.find('\''), close = why.rfind('\'');
    const std::string token = open < close ? why.substr(open + 1, close - open - 1) : "";
    const std::size_t at = token.empty() ? std::string_view::npos : text.find(token);
    if (at == std::string_view::npos)
      throw InvalidArgument(fmt::format("{}: invalid JSON: {}", source, why));
    const auto [line, column] = line_column(text, at);
    throw InvalidArgument(fmt::format("{}:{}:{}: invalid JSON: {} (numbers must be finite)", source,
                                      line, column, why));
  }
}

void JsonNode::fail(std::string_view message) const {
  throw InvalidArgument(
      fmt::format("{}: {}: {}", source_, path_.empty() ? "(top level)" : path_, message));
}

void JsonNode::fail_at(std::string_view key, std::string_view message) const {
  throw InvalidArgument(fmt::format("{}: {}: {}", source_, child_path(key), message));
}

void JsonNode::expect_type(bool ok, std::string_view expected) const {
  if (!ok) fail(fmt::format("expected {}, got {}", expected, value_->type_name()));
}

std::string JsonNode::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

const JsonNode& JsonNode::expect_object(std::initializer_list<std::string_view> allowed) const {
  expect_type(value_->is_object(), "an object");
  for (const auto& item : value_->items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) != allowed.end()) continue;
    fail(fmt::format("unknown field '{}' (allowed: {})", item.key(), fmt::join(allowed, ", ")));
  }
  return *this;
}

std::optional<JsonNode> JsonNode::find(std::string_view key) const {
  expect_type(value_->is_object(), "an object");
  const auto it = value_->find(key);
  if (it == value_->end()) return std::nullopt;
  return JsonNode(*it, source_, child_path(key));
}

JsonNode JsonNode::at(std::string_view key) const {
  if (auto child = find(key)) return *child;
  fail(fmt::format("missing required field '{}'", key));
}

std::vector<JsonNode> JsonNode::elements() const {
  expect_type(value_->is_array(), "an array");
  std::vector<JsonNode> result;
  result.reserve(value_->size());
  for (std::size_t i = 0; i < value_->size(); ++i)
    result.emplace_back((*value_)[i], source_, fmt::format("{}[{}]", path_, i));
  return result;
}

std::string JsonNode::string() const {
  expect_type(value_->is_string(), "a string");
  return value_->get<std::string>();
}

bool JsonNode::boolean() const {
  expect_type(value_->is_boolean(), "true or false");
  return value_->get<bool>();
}

std::string JsonNode::name() const {
  std::string s = string();
  if (s.empty()) fail("must not be empty");
  // A NUL or another control character in a name prints as nothing, or cuts it on the wire.
  for (const char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      fail(fmt::format("must not contain control characters (got one of code {})",
                       static_cast<int>(static_cast<unsigned char>(c))));
  return s;
}

double JsonNode::number() const {
  expect_type(value_->is_number(), "a number");
  const auto x = value_->get<double>();
  if (!std::isfinite(x)) fail("must be a finite number");
  return x;
}

double JsonNode::positive() const {
  const double x = number();
  if (!(x > 0.0)) fail(fmt::format("must be > 0 (got {})", x));
  return x;
}

double JsonNode::non_negative() const {
  const double x = number();
  if (x < 0.0) fail(fmt::format("must be >= 0 (got {})", x));
  return x;
}

int JsonNode::positive_int(int max) const { return integer_in(1, max); }

int JsonNode::integer_in(int min, int max) const {
  expect_type(value_->is_number_integer(), "an integer");
  const auto out_of_range = [&](const auto& got) {
    fail(fmt::format("must be in [{}, {}] (got {})", min, max, got));
  };
  if (value_->is_number_unsigned()) {
    const auto u = value_->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(max) || (min > 0 && u < static_cast<std::uint64_t>(min)))
      out_of_range(u);
    return static_cast<int>(u);
  }
  const auto i = value_->get<std::int64_t>();
  if (i < min || i > max) out_of_range(i);
  return static_cast<int>(i);
}

double JsonNode::number_in(double min, double max, Zero zero) const {
  const double x = number();
  const bool open = zero == Zero::Refused && min == 0.0;
  if (x < min || x > max || (open && x == min))
    fail(fmt::format("must be in {}{}, {}] (got {})", open ? "(" : "[", min, max, x));
  return x;
}

namespace {

double per_second(JsonNode::TimeUnit unit) {
  return unit == JsonNode::TimeUnit::Milliseconds ? 1e3 : 1.0;
}

// One rounding, as from_ms and from_seconds do, so that text round trips are exact.
Duration to_duration(double x, JsonNode::TimeUnit unit) {
  return unit == JsonNode::TimeUnit::Milliseconds ? from_ms(x) : from_seconds(x);
}

}  // namespace

Duration JsonNode::time(TimeUnit unit, Zero zero) const {
  const double x = number_in(0.0, limits::max_seconds * per_second(unit), zero);
  const Duration d = to_duration(x, unit);
  if (x > 0.0 && d < Duration{1})
    fail(fmt::format("must be at least 1 ns, the simulator's resolution (got {})", x));
  return d;
}

Duration JsonNode::period(TimeUnit unit, double min_s) const {
  const double x = number_in(min_s * per_second(unit), limits::max_seconds * per_second(unit));
  return to_duration(x, unit);
}

Bytes JsonNode::bytes(double unit, double max, Zero zero) const {
  const double x = number_in(0.0, max, zero);
  const Bytes b{static_cast<std::int64_t>(std::llround(x * unit))};
  if (x > 0.0 && b.count < 1) fail(fmt::format("must be at least 1 byte (got {})", x));
  return b;
}

}  // namespace epara::io::detail
