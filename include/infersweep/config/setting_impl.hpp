#pragma once
// Template definitions of setting.hpp: the codecs of the value types, the builder and the
// group. Included by setting.hpp only.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"

namespace infersweep::config {

namespace detail {

[[noreturn]] void reject(const SettingSpec& spec, const std::string& message);
// Throws unless `value` is finite and within the spec's range; `text` is what the user wrote.
void check_number(double value, const std::string& text, const SettingSpec& spec);
int64_t parse_integer(const std::string& text, const SettingSpec& spec);
uint64_t parse_unsigned(const std::string& text, const SettingSpec& spec);
double parse_number(const std::string& text, const SettingSpec& spec);
bool parse_boolean(const std::string& text, const SettingSpec& spec);
void check_text(const std::string& value, const SettingSpec& spec);
// A valid number other than `value` within the spec's range (for the identity tests).
double other_number(double value, const SettingSpec& spec, bool integral);
std::string other_text(const std::string& value, const SettingSpec& spec);

}  // namespace detail

template <>
struct Codec<bool> {
  static constexpr Kind kind = Kind::boolean;
  static std::string format(bool v, const SettingSpec& s) {
    return s.bool_as_digit ? (v ? "1" : "0") : (v ? "true" : "false");
  }
  static bool parse(const std::string& t, const SettingSpec& s) { return detail::parse_boolean(t, s); }
  static void check(bool, const SettingSpec&) {}
  static bool other(bool v, const SettingSpec&) { return !v; }
};

template <>
struct Codec<int64_t> {
  static constexpr Kind kind = Kind::integer;
  static std::string format(int64_t v, const SettingSpec&) { return std::to_string(v); }
  static int64_t parse(const std::string& t, const SettingSpec& s) {
    const int64_t v = detail::parse_integer(t, s);
    detail::check_number(static_cast<double>(v), t, s);
    return v;
  }
  static void check(int64_t v, const SettingSpec& s) {
    detail::check_number(static_cast<double>(v), std::to_string(v), s);
  }
  static int64_t other(int64_t v, const SettingSpec& s) {
    return static_cast<int64_t>(detail::other_number(static_cast<double>(v), s, true));
  }
};

template <>
struct Codec<uint64_t> {
  static constexpr Kind kind = Kind::unsigned_integer;
  static std::string format(uint64_t v, const SettingSpec&) { return std::to_string(v); }
  static uint64_t parse(const std::string& t, const SettingSpec& s) { return detail::parse_unsigned(t, s); }
  static void check(uint64_t, const SettingSpec&) {}
  static uint64_t other(uint64_t v, const SettingSpec&) { return v + 1; }
};

template <>
struct Codec<double> {
  static constexpr Kind kind = Kind::number;
  static std::string format(double v, const SettingSpec&) { return format_double(v); }
  static double parse(const std::string& t, const SettingSpec& s) {
    const double v = detail::parse_number(t, s);
    detail::check_number(v, t, s);
    return v;
  }
  static void check(double v, const SettingSpec& s) { detail::check_number(v, format_double(v), s); }
  static double other(double v, const SettingSpec& s) { return detail::other_number(v, s, false); }
};

template <>
struct Codec<std::string> {
  static constexpr Kind kind = Kind::text;
  static std::string format(const std::string& v, const SettingSpec&) { return v; }
  static std::string parse(const std::string& t, const SettingSpec& s) {
    detail::check_text(t, s);
    return t;
  }
  static void check(const std::string& v, const SettingSpec& s) { detail::check_text(v, s); }
  static std::string other(const std::string& v, const SettingSpec& s) { return detail::other_text(v, s); }
};

// Unset means "the default of whatever uses it" (e.g. every row of a trace).
template <>
struct Codec<std::optional<int64_t>> {
  static constexpr Kind kind = Kind::optional_integer;
  static std::string format(const std::optional<int64_t>& v, const SettingSpec&) {
    return v ? std::to_string(*v) : std::string("default");
  }
  static std::optional<int64_t> parse(const std::string& t, const SettingSpec& s) {
    return Codec<int64_t>::parse(t, s);
  }
  static void check(const std::optional<int64_t>& v, const SettingSpec& s) {
    if (v) Codec<int64_t>::check(*v, s);
  }
  static std::optional<int64_t> other(const std::optional<int64_t>& v, const SettingSpec& s) {
    return Codec<int64_t>::other(v.value_or(static_cast<int64_t>(std::max(s.min, 1.0))), s);
  }
};

// A list of names: repeated options, or one comma-separated value.
template <>
struct Codec<std::vector<std::string>> {
  static constexpr Kind kind = Kind::text_list;
  static std::string format(const std::vector<std::string>& v, const SettingSpec&) {
    std::string out;
    for (const auto& item : v) out += (out.empty() ? "" : ",") + item;
    return out;
  }
  static std::vector<std::string> parse(const std::string& t, const SettingSpec&) {
    std::vector<std::string> out;
    for (const auto& item : split(t, ','))
      if (const auto trimmed = trim(item); !trimmed.empty()) out.emplace_back(trimmed);
    return out;
  }
  static void check(const std::vector<std::string>&, const SettingSpec&) {}
  static std::vector<std::string> other(const std::vector<std::string>& v, const SettingSpec&) {
    auto out = v;
    out.push_back("other");
    return out;
  }
};

// Enumerations declare their names through EnumNames<E>::values(): {value, "name"} pairs.
template <class E>
struct EnumNames;

template <class E>
struct EnumCodec {
  static constexpr Kind kind = Kind::text;
  static std::string format(E v, const SettingSpec&) {
    for (const auto& [value, name] : EnumNames<E>::values())
      if (value == v) return name;
    return "?";
  }
  static E parse(const std::string& t, const SettingSpec& s) {
    for (const auto& [value, name] : EnumNames<E>::values())
      if (t == name) return value;
    detail::check_text(t, s);  // names the choices
    detail::reject(s, "unknown value '" + t + "'");
  }
  static void check(E, const SettingSpec&) {}
  static E other(E v, const SettingSpec&) {
    for (const auto& [value, name] : EnumNames<E>::values())
      if (value != v) return value;
    return v;
  }
};

template <class T, class = void>
struct CodecOf {
  using type = Codec<T>;
};
template <class T>
struct CodecOf<T, std::enable_if_t<std::is_enum_v<T>>> {
  using type = EnumCodec<T>;
};

template <class S>
template <class T>
class SettingGroup<S>::Builder {
 public:
  Builder(SettingGroup* group, size_t index) : group_(group), index_(index) {}

  Builder& key(std::string k) {
    return edit([&](SettingSpec& s) { s.key = std::move(k); });
  }
  Builder& short_name(char c) {
    return edit([&](SettingSpec& s) { s.short_name = c; });
  }
  Builder& grid_key(std::string k) {
    return edit([&](SettingSpec& s) { s.grid_key = std::move(k); });
  }
  Builder& path() {
    return edit([](SettingSpec& s) { s.is_path = true; });
  }
  // A file the command writes (checked up front by check_output_locations).
  Builder& output_file() {
    return edit([](SettingSpec& s) { s.is_path = true, s.path_use = PathUse::output_file; });
  }
  // A directory the command writes into, created if missing (checked up front likewise).
  Builder& output_dir() {
    return edit([](SettingSpec& s) { s.is_path = true, s.path_use = PathUse::output_dir; });
  }
  Builder& plugins(std::function<std::vector<std::string>()> names) {
    return edit([&](SettingSpec& s) { s.plugins = std::move(names), s.may_be_empty = false; });
  }
  Builder& applies_to(std::function<std::string()> names) {
    return edit([&](SettingSpec& s) { s.applies_to = std::move(names); });
  }
  Builder& unit(std::string u) {
    return edit([&](SettingSpec& s) { s.unit = std::move(u); });
  }
  Builder& topic(std::string t) {
    return edit([&](SettingSpec& s) { s.topic = std::move(t); });
  }
  Builder& id_form(IdForm f) {
    return edit([&](SettingSpec& s) { s.id_form = f; });
  }
  Builder& internal() {
    return edit([](SettingSpec& s) { s.on_command_line = false; });
  }
  Builder& bool_as_digit() {
    return edit([](SettingSpec& s) { s.bool_as_digit = true; });
  }
  Builder& default_note(std::string n) {
    return edit([&](SettingSpec& s) { s.default_note = std::move(n); });
  }
  Builder& at_least(double v) {
    return edit([&](SettingSpec& s) { s.min = v; });
  }
  Builder& greater_than(double v) {
    return edit([&](SettingSpec& s) { s.min = v, s.min_exclusive = true; });
  }
  Builder& at_most(double v) {
    return edit([&](SettingSpec& s) { s.max = v; });
  }
  Builder& below(double v) {
    return edit([&](SettingSpec& s) { s.max = v, s.max_exclusive = true; });
  }
  Builder& positive() { return greater_than(0); }
  Builder& non_negative() { return at_least(0); }
  Builder& non_empty() {
    return edit([](SettingSpec& s) { s.may_be_empty = false; });
  }
  // A closed set of names, checked here; plug-in names are checked by their registries instead.
  Builder& choices(std::function<std::vector<std::string>()> names) {
    return edit([&](SettingSpec& s) { s.choices = std::move(names), s.may_be_empty = false; });
  }

 private:
  template <class F>
  Builder& edit(F&& f) {
    f(*group_->settings_[index_].spec_ptr);
    return *this;
  }
  SettingGroup* group_;
  size_t index_;
};

template <class S>
template <class T>
typename SettingGroup<S>::template Builder<T> SettingGroup<S>::add(T S::*field, std::string name, Identity identity,
                                                                   std::string help) {
  using C = typename CodecOf<T>::type;
  auto spec = std::make_shared<SettingSpec>();
  spec->name = std::move(name);
  spec->key = spec->name;
  std::replace(spec->key.begin(), spec->key.end(), '-', '_');
  spec->grid_key = spec->key;
  spec->help = std::move(help);
  spec->topic = topic_;
  spec->identity = identity;
  spec->kind = C::kind;
  if constexpr (std::is_enum_v<T>)
    spec->choices = [] {
      std::vector<std::string> names;
      for (const auto& entry : EnumNames<T>::values()) names.emplace_back(entry.second);
      return names;
    };
  const size_t index = settings_.size();
  // The functions read the spec when called, so that builder calls made after add() apply.
  Setting<S> s;
  s.spec_ptr = spec;
  s.text = [field, spec](const S& r) { return C::format(r.*field, *spec); };
  s.assign = [field, spec](S& r, const std::string& text) { r.*field = C::parse(text, *spec); };
  s.check = [field, spec](const S& r) { C::check(r.*field, *spec); };
  s.equal = [field](const S& a, const S& b) { return a.*field == b.*field; };
  s.other_value_text = [field, spec](const S& r) { return C::format(C::other(r.*field, *spec), *spec); };
  settings_.push_back(std::move(s));
  ++fields_declared_;
  return Builder<T>(this, index);
}

template <class S>
template <class C>
void SettingGroup<S>::nest(C S::*field, const SettingGroup<C>& group) {
  for (const auto& inner : group.settings()) {
    Setting<S> s;
    s.spec_ptr = inner.spec_ptr;
    s.text = [field, f = inner.text](const S& r) { return f(r.*field); };
    s.assign = [field, f = inner.assign](S& r, const std::string& text) { f(r.*field, text); };
    s.check = [field, f = inner.check](const S& r) { f(r.*field); };
    s.equal = [field, f = inner.equal](const S& a, const S& b) { return f(a.*field, b.*field); };
    s.other_value_text = [field, f = inner.other_value_text](const S& r) { return f(r.*field); };
    settings_.push_back(std::move(s));
  }
  ++fields_declared_;
}

template <class S>
const Setting<S>* SettingGroup<S>::find(const std::string& name) const {
  for (const auto& s : settings_)
    if (s.spec().name == name || s.spec().key == name || s.spec().grid_key == name) return &s;
  return nullptr;
}

template <class S>
const Setting<S>& SettingGroup<S>::at(const std::string& name) const {
  if (const auto* s = find(name)) return *s;
  throw std::out_of_range("no setting named '" + name + "'");
}

}  // namespace infersweep::config
