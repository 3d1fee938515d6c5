#include "infersweep/table/column_table.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

namespace infersweep::table {

namespace {

ColumnTable::Column empty_column(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::text:
      return std::vector<std::string>{};
    case ColumnKind::int64:
      return std::vector<int64_t>{};
    case ColumnKind::float64:
      return std::vector<double>{};
    case ColumnKind::boolean:
      return std::vector<uint8_t>{};
    case ColumnKind::enumeration:
      return std::vector<int8_t>{};
  }
  throw std::logic_error("unknown column kind");
}

size_t column_length(const ColumnTable::Column& c) {
  return std::visit([](const auto& v) { return v.size(); }, c);
}

std::string label_of(const ColumnSpec& spec, int64_t code) {
  if (code < 0 || static_cast<size_t>(code) >= spec.labels.size())
    throw std::runtime_error("column '" + spec.name + "' has no name for code " + std::to_string(code));
  return spec.labels[static_cast<size_t>(code)];
}

std::string kind_mismatch(const ColumnSpec& spec, const Field& field) {
  if (field.value.index() != static_cast<size_t>(spec.kind))
    return "field '" + field.name + "' is not of its column's kind (" + to_string(spec.kind) + ")";
  if (const auto* e = std::get_if<EnumValue>(&field.value)) {
    if (e->code < 0 || static_cast<size_t>(e->code) >= spec.labels.size() ||
        spec.labels[static_cast<size_t>(e->code)] != e->name)
      return "field '" + field.name + "' has the value " + std::to_string(e->code) + " '" + e->name +
             "', which its column does not name so";
  }
  return {};
}

std::string escape_cell(const std::string& text) {
  std::string out;
  for (char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

}  // namespace

const char* to_string(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::text:
      return "text";
    case ColumnKind::int64:
      return "int64";
    case ColumnKind::float64:
      return "float64";
    case ColumnKind::boolean:
      return "boolean";
    case ColumnKind::enumeration:
      return "enum";
  }
  return "unknown";
}

std::string row_mismatch(const Schema& schema, const std::vector<Field>& row) {
  for (size_t c = 0; c < schema.size() || c < row.size(); ++c) {
    if (c >= row.size()) return "the row ends before column '" + schema[c].name + "'";
    if (c >= schema.size()) return "field '" + row[c].name + "' has no column";
    if (row[c].name != schema[c].name)
      return "field '" + row[c].name + "' where column '" + schema[c].name + "' was expected";
    if (auto why = kind_mismatch(schema[c], row[c]); !why.empty()) return why;
  }
  return {};
}

std::string markdown_table(const Schema& schema) {
  std::string out = "| column | type | units | meaning |\n|---|---|---|---|\n";
  for (const auto& spec : schema) {
    std::string type = to_string(spec.kind);
    if (spec.kind == ColumnKind::text && spec.text_width > 0) type = "text" + std::to_string(spec.text_width);
    if (spec.kind == ColumnKind::enumeration) {
      type += " (";
      for (size_t i = 0; i < spec.labels.size(); ++i) type += (i ? ", " : "") + spec.labels[i];
      type += ")";
    }
    out += "| `" + spec.name + "` | " + type + " | " + escape_cell(spec.units) + " | " + escape_cell(spec.description) +
           " |\n";
  }
  return out;
}

ColumnTable::ColumnTable(Schema schema) : schema_(std::move(schema)) {
  for (const auto& spec : schema_) columns_.push_back(empty_column(spec.kind));
}

bool ColumnTable::has_column(const std::string& name) const {
  for (const auto& spec : schema_)
    if (spec.name == name) return true;
  return false;
}

size_t ColumnTable::column_index(const std::string& name) const {
  for (size_t c = 0; c < schema_.size(); ++c)
    if (schema_[c].name == name) return c;
  throw std::out_of_range("no column '" + name + "'");
}

void ColumnTable::append(const std::vector<Field>& row) {
  if (row.size() != schema_.size())
    throw std::logic_error("row has " + std::to_string(row.size()) + " fields, table has " +
                           std::to_string(schema_.size()) + " columns");
  // Check the whole row first, so a bad row leaves every column as it was.
  if (auto why = row_mismatch(schema_, row); !why.empty()) throw std::logic_error(why);
  for (size_t c = 0; c < row.size(); ++c)
    std::visit(
        [&](auto& values) {
          using T = typename std::decay_t<decltype(values)>::value_type;
          if constexpr (std::is_same_v<T, uint8_t>)
            values.push_back(std::get<bool>(row[c].value) ? 1 : 0);
          else if constexpr (std::is_same_v<T, int8_t>)
            values.push_back(static_cast<int8_t>(std::get<EnumValue>(row[c].value).code));
          else
            values.push_back(std::get<T>(row[c].value));
        },
        columns_[c]);
  ++rows_;
}

void ColumnTable::append_from(const ColumnTable& other, size_t row) {
  // Every value is found and checked first, so a row that does not fit leaves the table as it was.
  std::vector<std::optional<size_t>> sources(schema_.size());
  std::vector<int8_t> codes(schema_.size(), 0);
  for (size_t c = 0; c < schema_.size(); ++c) {
    const auto& name = schema_[c].name;
    if (!other.has_column(name)) continue;
    const size_t source = other.column_index(name);
    sources[c] = source;
    const auto source_kind = other.schema_[source].kind;
    if (schema_[c].kind == ColumnKind::enumeration &&
        (source_kind == ColumnKind::enumeration || source_kind == ColumnKind::text)) {
      // By name: the other table may number the names differently, or hold them as text.
      const auto label = field_text(other.field(source, row));
      const auto& labels = schema_[c].labels;
      const auto it = std::find(labels.begin(), labels.end(), label);
      if (it == labels.end()) throw std::runtime_error("column '" + name + "' has no value '" + label + "'");
      codes[c] = static_cast<int8_t>(it - labels.begin());
    } else if (other.columns_[source].index() != columns_[c].index()) {
      throw std::runtime_error("column '" + name + "' changed its type");
    }
  }
  for (size_t c = 0; c < schema_.size(); ++c) {
    auto& col = columns_[c];
    if (!sources[c]) {
      std::visit(
          [](auto& v) {
            using T = typename std::decay_t<decltype(v)>::value_type;
            if constexpr (std::is_same_v<T, double>)
              v.push_back(std::numeric_limits<double>::quiet_NaN());
            else
              v.push_back(T{});
          },
          col);
    } else if (schema_[c].kind == ColumnKind::enumeration) {
      std::get<std::vector<int8_t>>(col).push_back(codes[c]);
    } else {
      const auto& src = other.columns_[*sources[c]];
      std::visit(
          [&](auto& v) {
            using V = std::decay_t<decltype(v)>;
            v.push_back(std::get<V>(src)[row]);
          },
          col);
    }
  }
  ++rows_;
}

void ColumnTable::clear() {
  for (auto& c : columns_) std::visit([](auto& v) { v.clear(); }, c);
  rows_ = 0;
}

const std::vector<std::string>& ColumnTable::text(const std::string& name) const {
  return std::get<std::vector<std::string>>(columns_[column_index(name)]);
}
const std::vector<int64_t>& ColumnTable::int64(const std::string& name) const {
  return std::get<std::vector<int64_t>>(columns_[column_index(name)]);
}
const std::vector<double>& ColumnTable::float64(const std::string& name) const {
  return std::get<std::vector<double>>(columns_[column_index(name)]);
}
const std::vector<uint8_t>& ColumnTable::boolean(const std::string& name) const {
  return std::get<std::vector<uint8_t>>(columns_[column_index(name)]);
}
const std::vector<int8_t>& ColumnTable::codes(const std::string& name) const {
  return std::get<std::vector<int8_t>>(columns_[column_index(name)]);
}

std::vector<std::string> ColumnTable::enum_names(const std::string& name) const {
  const auto& spec = schema_[column_index(name)];
  std::vector<std::string> names;
  for (int8_t code : codes(name)) names.push_back(label_of(spec, code));
  return names;
}

std::vector<std::string> ColumnTable::texts(const std::string& name) const {
  const size_t c = column_index(name);
  std::vector<std::string> values;
  values.reserve(rows_);
  for (size_t r = 0; r < rows_; ++r) values.push_back(field_text(field(c, r)));
  return values;
}

Field ColumnTable::field(size_t c, size_t row) const {
  Field f;
  f.name = schema_[c].name;
  std::visit(
      [&](const auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        if constexpr (std::is_same_v<T, uint8_t>)
          f.value = v[row] != 0;
        else if constexpr (std::is_same_v<T, int8_t>)
          f.value = EnumValue{v[row], label_of(schema_[c], v[row])};
        else
          f.value = v[row];
      },
      columns_[c]);
  return f;
}

std::vector<Field> ColumnTable::row(size_t r) const {
  std::vector<Field> out;
  out.reserve(schema_.size());
  for (size_t c = 0; c < schema_.size(); ++c) out.push_back(field(c, r));
  return out;
}

void ColumnTable::set_rows_from_columns() {
  const size_t n = columns_.empty() ? 0 : column_length(columns_[0]);
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (column_length(columns_[c]) != n)
      throw std::runtime_error("column '" + schema_[c].name + "' has " + std::to_string(column_length(columns_[c])) +
                               " rows, column '" + schema_[0].name + "' has " + std::to_string(n));
    if (const auto* codes = std::get_if<std::vector<int8_t>>(&columns_[c]))
      for (int8_t code : *codes) label_of(schema_[c], code);
  }
  rows_ = n;
}

}  // namespace infersweep::table
