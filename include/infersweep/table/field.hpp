#pragma once
// One named, typed value of a table row: the unit in which result rows, probe rows and file
// attributes travel between the search, the sweep file, the MPI messages and the reports.
#include <cstdint>
#include <string>
#include <variant>

namespace infersweep::table {

// A value of an enumeration column (a status, a state): its code and its name, both kept so
// that a row can be written as text without its table's schema.
struct EnumValue {
  int64_t code = 0;
  std::string name;
};
bool operator==(const EnumValue& a, const EnumValue& b);
bool operator!=(const EnumValue& a, const EnumValue& b);
// By name, as text values sort (groups keyed by a status come in the same order as when the
// status was text, and as the Python analysis orders them).
bool operator<(const EnumValue& a, const EnumValue& b);

struct Field {
  using Value = std::variant<std::string, int64_t, double, bool, EnumValue>;
  std::string name;
  Value value;  // a NaN double means "no value"
};

// The value as a plain text, integer, double or boolean: an enumeration value becomes its name
// (what CSV and JSON outputs show).
using PlainValue = std::variant<std::string, int64_t, double, bool>;
PlainValue plain_value(const Field::Value& value);

// A field as CSV/table text: doubles round-trip exactly, NaN is empty, booleans are true/false,
// enumeration values are their names.
std::string field_text(const Field& field);

}  // namespace infersweep::table
