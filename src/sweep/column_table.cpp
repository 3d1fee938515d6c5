#include "infersweep/sweep/column_table.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace infersweep::sweep {

namespace {

ColumnTable::Column empty_column(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::text: return std::vector<std::string>{};
    case ColumnKind::int64: return std::vector<int64_t>{};
    case ColumnKind::float64: return std::vector<double>{};
    case ColumnKind::boolean: return std::vector<uint8_t>{};
  }
  throw std::logic_error("unknown column kind");
}

size_t column_length(const ColumnTable::Column& c) {
  return std::visit([](const auto& v) { return v.size(); }, c);
}

}  // namespace

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

void ColumnTable::append(const std::vector<search::Field>& row) {
  if (row.size() != schema_.size())
    throw std::logic_error("row has " + std::to_string(row.size()) + " fields, table has " +
                           std::to_string(schema_.size()) + " columns");
  // Check the whole row first, so a bad row leaves every column as it was.
  for (size_t c = 0; c < row.size(); ++c) {
    if (row[c].name != schema_[c].name)
      throw std::logic_error("field '" + row[c].name + "' where column '" + schema_[c].name + "' was expected");
    if (row[c].value.index() != columns_[c].index())  // both: text, int64, float64, boolean
      throw std::logic_error("field '" + row[c].name + "' has another type than its column");
  }
  for (size_t c = 0; c < row.size(); ++c)
    std::visit(
        [&](auto& values) {
          using T = typename std::decay_t<decltype(values)>::value_type;
          if constexpr (std::is_same_v<T, uint8_t>)
            values.push_back(std::get<bool>(row[c].value) ? 1 : 0);
          else
            values.push_back(std::get<T>(row[c].value));
        },
        columns_[c]);
  ++rows_;
}

void ColumnTable::append_from(const ColumnTable& other, size_t row) {
  for (size_t c = 0; c < schema_.size(); ++c) {
    const auto& name = schema_[c].name;
    auto& col = columns_[c];
    if (!other.has_column(name)) {
      std::visit(
          [](auto& v) {
            using T = typename std::decay_t<decltype(v)>::value_type;
            if constexpr (std::is_same_v<T, double>)
              v.push_back(std::numeric_limits<double>::quiet_NaN());
            else
              v.push_back(T{});
          },
          col);
      continue;
    }
    const auto& src = other.columns_[other.column_index(name)];
    if (src.index() != col.index()) throw std::runtime_error("column '" + name + "' changed its type");
    std::visit(
        [&](auto& v) {
          using V = std::decay_t<decltype(v)>;
          v.push_back(std::get<V>(src)[row]);
        },
        col);
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

search::Field ColumnTable::field(size_t c, size_t row) const {
  search::Field f;
  f.name = schema_[c].name;
  std::visit(
      [&](const auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        if constexpr (std::is_same_v<T, uint8_t>)
          f.value = v[row] != 0;
        else
          f.value = v[row];
      },
      columns_[c]);
  return f;
}

std::vector<search::Field> ColumnTable::row(size_t r) const {
  std::vector<search::Field> out;
  out.reserve(schema_.size());
  for (size_t c = 0; c < schema_.size(); ++c) out.push_back(field(c, r));
  return out;
}

void ColumnTable::set_rows_from_columns() {
  const size_t n = columns_.empty() ? 0 : column_length(columns_[0]);
  for (size_t c = 0; c < columns_.size(); ++c)
    if (column_length(columns_[c]) != n)
      throw std::runtime_error("column '" + schema_[c].name + "' has " + std::to_string(column_length(columns_[c])) +
                               " rows, column '" + schema_[0].name + "' has " + std::to_string(n));
  rows_ = n;
}

}  // namespace infersweep::sweep
