#pragma once
// One line of a JSON-lines file as a value tree: small, strict (RFC 8259), and with errors that
// name the file, line and column. Numbers keep their text, so that the caller decides whether a
// number must be whole and how large it may be.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace infersweep::workload {

struct JsonValue {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  std::string text;                                        // number: as written; string: decoded UTF-8
  std::vector<JsonValue> items;                            // array
  std::vector<std::pair<std::string, JsonValue>> members;  // object, in order, keys unique

  // The member named `key` of an object, or nullptr.
  const JsonValue* find(std::string_view key) const;
};

// What a kind is called in messages: "a number", "an array", ...
std::string describe(JsonValue::Kind kind);

// Nesting deeper than this is refused, so that hostile input cannot exhaust the stack.
inline constexpr int kMaxJsonDepth = 64;

// Parses `text` as exactly one JSON value with optional whitespace around it. Throws InputError
// "<file>:<line>: column <c>: expected ..., got ..." on anything else (a duplicate key included).
JsonValue parse_json_line(std::string_view text, const std::string& file, int64_t line);

}  // namespace infersweep::workload
