#include "infersweep/workload/json_line.hpp"

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"

namespace infersweep::workload {

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const auto& [name, value] : members)
    if (name == key) return &value;
  return nullptr;
}

std::string describe(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::null:
      return "null";
    case JsonValue::Kind::boolean:
      return "a boolean";
    case JsonValue::Kind::number:
      return "a number";
    case JsonValue::Kind::string:
      return "a string";
    case JsonValue::Kind::array:
      return "an array";
    case JsonValue::Kind::object:
      return "an object";
  }
  return "a value";
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Parser {
 public:
  Parser(std::string_view text, const std::string& file, int64_t line) : text_(text), file_(file), line_(line) {}

  JsonValue parse_document() {
    skip_space();
    JsonValue value = parse_value(0);
    skip_space();
    if (pos_ < text_.size()) fail("expected the end of the line after the value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& expected) const {
    const std::string got = pos_ < text_.size() ? "'" + printable(text_.substr(pos_, 1)) + "'" : "the end of the line";
    fail_plain(expected + ", got " + got);
  }
  [[noreturn]] void fail_plain(const std::string& message) const {
    throw InputError::in_file(file_, line_, "column " + std::to_string(pos_ + 1), message);
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r')) ++pos_;
  }

  bool take(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) fail("expected a JSON value");
    pos_ += word.size();
  }

  JsonValue parse_value(int depth) {
    if (depth >= kMaxJsonDepth) fail("expected at most " + std::to_string(kMaxJsonDepth) + " nested arrays or objects");
    JsonValue v;
    if (pos_ >= text_.size()) fail("expected a JSON value");
    const char c = text_[pos_];
    if (c == '{') {
      v.kind = JsonValue::Kind::object;
      parse_object(v, depth);
    } else if (c == '[') {
      v.kind = JsonValue::Kind::array;
      parse_array(v, depth);
    } else if (c == '"') {
      v.kind = JsonValue::Kind::string;
      v.text = parse_string();
    } else if (c == '-' || is_digit(c)) {
      v.kind = JsonValue::Kind::number;
      v.text = parse_number();
    } else if (c == 't') {
      expect_word("true");
      v.kind = JsonValue::Kind::boolean;
      v.boolean = true;
    } else if (c == 'f') {
      expect_word("false");
      v.kind = JsonValue::Kind::boolean;
    } else if (c == 'n') {
      expect_word("null");
    } else {
      fail("expected a JSON value");
    }
    return v;
  }

  void parse_object(JsonValue& v, int depth) {
    ++pos_;  // '{'
    skip_space();
    if (take('}')) return;
    while (true) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a member name in double quotes");
      const size_t key_at = pos_;
      std::string key = parse_string();
      if (v.find(key)) {
        pos_ = key_at;
        fail_plain("expected each member name once, '" + printable(key) + "' is repeated");
      }
      skip_space();
      if (!take(':')) fail("expected ':' after a member name");
      skip_space();
      JsonValue member = parse_value(depth + 1);
      v.members.emplace_back(std::move(key), std::move(member));
      skip_space();
      if (take('}')) return;
      if (!take(',')) fail("expected ',' or '}' after an object member");
    }
  }

  void parse_array(JsonValue& v, int depth) {
    ++pos_;  // '['
    skip_space();
    if (take(']')) return;
    while (true) {
      skip_space();
      v.items.push_back(parse_value(depth + 1));
      skip_space();
      if (take(']')) return;
      if (!take(',')) fail("expected ',' or ']' after an array item");
    }
  }

  std::string parse_number() {
    const size_t start = pos_;
    take('-');
    if (take('0')) {
      if (pos_ < text_.size() && is_digit(text_[pos_])) fail("expected no leading zero in a number");
    } else {
      if (pos_ >= text_.size() || !is_digit(text_[pos_])) fail("expected a digit");
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    }
    if (take('.')) {
      if (pos_ >= text_.size() || !is_digit(text_[pos_])) fail("expected a digit after the decimal point");
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    }
    if (take('e') || take('E')) {
      if (!take('+')) take('-');
      if (pos_ >= text_.size() || !is_digit(text_[pos_])) fail("expected a digit in the exponent");
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  unsigned hex4() {
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      if (pos_ >= text_.size()) fail("expected four hex digits after \\u");
      const char c = text_[pos_];
      unsigned digit;
      if (is_digit(c))
        digit = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        digit = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        digit = static_cast<unsigned>(c - 'A' + 10);
      else
        fail("expected four hex digits after \\u");
      value = value * 16 + digit;
      ++pos_;
    }
    return value;
  }

  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  // A string's escapes decoded; a lone surrogate escape is refused.
  std::string parse_string() {
    ++pos_;  // '"'
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail("expected a closing '\"'");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail("expected no control character in a string");
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size()) fail("expected an escape after '\\'");
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned code = hex4();
          if (code >= 0xDC00 && code <= 0xDFFF) fail("expected a high surrogate before a low one");
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (!take('\\') || !take('u')) fail("expected a low surrogate escape after a high one");
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("expected a low surrogate escape after a high one");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, code);
          break;
        }
        default:
          --pos_;
          fail("expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
      }
    }
  }

  std::string_view text_;
  const std::string& file_;
  int64_t line_;
  size_t pos_ = 0;
};

}  // namespace

JsonValue parse_json_line(std::string_view text, const std::string& file, int64_t line) {
  return Parser(text, file, line).parse_document();
}

}  // namespace infersweep::workload
