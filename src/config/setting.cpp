#include "infersweep/config/setting.hpp"

#include <charconv>

namespace infersweep::config {

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool integral(Kind kind) {
  return kind == Kind::integer || kind == Kind::unsigned_integer || kind == Kind::optional_integer;
}

}  // namespace

std::string SettingSpec::expectation() const {
  if (kind == Kind::boolean) return "true or false";
  if (kind == Kind::text_list) return is_path ? "a list of paths" : "a list of names";
  if (kind == Kind::text) {
    if (choices) return "one of: " + join(choices());
    if (plugins) return "one of: " + join(plugins());
    return may_be_empty ? "a text" : "a non-empty text";
  }
  const std::string what =
      integral(kind) ? (kind == Kind::unsigned_integer ? "an integer >= 0" : "an integer") : "a finite number";
  if (kind == Kind::unsigned_integer) return what;
  if (has_min() && has_max())
    return what + " in " + (min_exclusive ? "(" : "[") + format_double(min) + ", " + format_double(max) +
           (max_exclusive ? ")" : "]");
  if (has_min()) return what + (min_exclusive ? " > " : " >= ") + format_double(min);
  if (has_max()) return what + (max_exclusive ? " < " : " <= ") + format_double(max);
  return what;
}

std::string SettingSpec::display(const std::string& text) const {
  if (kind == Kind::boolean) return text == "1" || text == "true" ? "true" : "false";
  return text;
}

std::string SettingSpec::display_default(const std::string& default_text) const {
  return default_note.empty() ? display(default_text) : default_note;
}

namespace detail {

void reject(const SettingSpec& spec, const std::string& message) { throw InputError::setting(spec.name, message); }

void check_number(double value, const std::string& text, const SettingSpec& spec) {
  const bool ok = std::isfinite(value) && (spec.min_exclusive ? value > spec.min : value >= spec.min) &&
                  (spec.max_exclusive ? value < spec.max : value <= spec.max);
  if (!ok) reject(spec, "must be " + spec.expectation() + ", got " + text);
}

int64_t parse_integer(const std::string& text, const SettingSpec& spec) {
  const auto t = trim(text);
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec == std::errc::result_out_of_range)
    reject(spec, "must be " + spec.expectation() + ", got " + std::string(t) + " (out of the 64-bit range)");
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
    reject(spec, "expected " + spec.expectation() + ", got '" + std::string(t) + "'");
  return value;
}

uint64_t parse_unsigned(const std::string& text, const SettingSpec& spec) {
  const auto t = trim(text);
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || t.front() == '-' || ec != std::errc() || ptr != t.data() + t.size())
    reject(spec, "expected an integer in [0, 2^64), got '" + std::string(t) + "'");
  return value;
}

double parse_number(const std::string& text, const SettingSpec& spec) {
  const auto t = trim(text);
  double value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec == std::errc::result_out_of_range)
    reject(spec, "must be " + spec.expectation() + ", got " + std::string(t) + " (out of the double range)");
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
    reject(spec, "expected " + spec.expectation() + ", got '" + std::string(t) + "'");
  return value;
}

bool parse_boolean(const std::string& text, const SettingSpec& spec) {
  const auto t = trim(text);
  if (t == "true" || t == "yes" || t == "1" || t == "on") return true;
  if (t == "false" || t == "no" || t == "0" || t == "off") return false;
  reject(spec, "expected true or false, got '" + std::string(t) + "'");
}

void check_text(const std::string& value, const SettingSpec& spec) {
  if (spec.plugins) {  // the registry names the choices when it checks
    if (value.empty()) reject(spec, "must not be empty");
    return;
  }
  if (spec.choices) {
    const auto names = spec.choices();
    if (std::find(names.begin(), names.end(), value) == names.end())
      reject(spec, "unknown value '" + value + "' (expected one of: " + join(names) + ")");
    return;
  }
  if (value.empty() && !spec.may_be_empty) reject(spec, "must not be empty");
}

double other_number(double value, const SettingSpec& spec, bool whole) {
  // Step up, else down, staying inside the range (and whole for integers).
  const double lo = spec.has_min() ? spec.min : value - 1000;
  const double hi = spec.has_max() ? spec.max : value + 1000;
  for (const double step : {1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125}) {
    if (whole && step < 1) break;
    for (const double candidate : {value + step, value - step, lo + step, hi - step}) {
      const bool inside = (spec.min_exclusive ? candidate > lo : candidate >= lo) &&
                          (spec.max_exclusive ? candidate < hi : candidate <= hi);
      if (inside && candidate != value) return candidate;
    }
  }
  return (lo + hi) / 2;
}

std::string other_text(const std::string& value, const SettingSpec& spec) {
  for (const auto& names : {spec.choices, spec.plugins})
    if (names)
      for (const auto& n : names())
        if (n != value) return n;
  return value.empty() ? "other" : value + "_other";
}

}  // namespace detail

}  // namespace infersweep::config
