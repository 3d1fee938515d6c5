#include "infersweep/table/field.hpp"

#include <cmath>

#include "infersweep/common/text.hpp"

namespace infersweep::table {

bool operator==(const EnumValue& a, const EnumValue& b) { return a.code == b.code && a.name == b.name; }
bool operator!=(const EnumValue& a, const EnumValue& b) { return !(a == b); }
bool operator<(const EnumValue& a, const EnumValue& b) {
  if (a.name != b.name) return a.name < b.name;
  return a.code < b.code;
}

PlainValue plain_value(const Field::Value& value) {
  return std::visit(
      [](const auto& v) -> PlainValue {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, EnumValue>)
          return v.name;
        else
          return v;
      },
      value);
}

std::string field_text(const Field& field) {
  struct Visitor {
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return std::isnan(v) ? std::string() : format_double(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const EnumValue& v) const { return v.name; }
  };
  return std::visit(Visitor{}, field.value);
}

}  // namespace infersweep::table
