#include "infersweep/common/text.hpp"

#include <charconv>
#include <cmath>

#include "infersweep/common/error.hpp"

namespace infersweep {

std::string_view trim(std::string_view text) {
  const char* spaces = " \t\r\n";
  const auto first = text.find_first_not_of(spaces);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(spaces);
  return text.substr(first, last - first + 1);
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const auto pos = text.find(separator, start);
    parts.emplace_back(text.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

int64_t parse_int64(std::string_view text, const std::string& where) {
  const auto t = trim(text);
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (!t.empty() && ec == std::errc() && ptr == t.data() + t.size()) return value;
  // Integral values written as floats ("1020.0") are accepted; anything fractional is not.
  double as_double = 0;
  const auto [dptr, dec] = std::from_chars(t.data(), t.data() + t.size(), as_double);
  if (!t.empty() && dec == std::errc() && dptr == t.data() + t.size() && std::isfinite(as_double) &&
      as_double == std::floor(as_double) && std::fabs(as_double) < 9.0e15)
    return static_cast<int64_t>(as_double);
  throw InputError(where + ": expected an integer, got '" + std::string(t) + "'");
}

double parse_double(std::string_view text, const std::string& where) {
  const auto t = trim(text);
  double value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(value))
    throw InputError(where + ": expected a finite number, got '" + std::string(t) + "'");
  return value;
}

bool parse_bool(std::string_view text, const std::string& where) {
  const auto t = trim(text);
  if (t == "true" || t == "yes" || t == "1" || t == "on") return true;
  if (t == "false" || t == "no" || t == "0" || t == "off") return false;
  throw InputError(where + ": expected true or false, got '" + std::string(t) + "'");
}

std::string format_double(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)ec;
  return std::string(buffer, ptr);
}

std::string format_count(int64_t value) {
  const std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out = value < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace infersweep
