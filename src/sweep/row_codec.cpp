#include "infersweep/sweep/row_codec.hpp"

#include <stdexcept>

namespace infersweep::sweep {

void encode_row(BinaryWriter& out, const std::vector<table::Field>& row) {
  out.u64(row.size());
  for (const auto& f : row) {
    out.u64(f.value.index());
    if (auto* s = std::get_if<std::string>(&f.value))
      out.str(*s);
    else if (auto* i = std::get_if<int64_t>(&f.value))
      out.i64(*i);
    else if (auto* d = std::get_if<double>(&f.value))
      out.f64(*d);
    else if (auto* b = std::get_if<bool>(&f.value))
      out.u64(*b ? 1 : 0);
    else
      out.i64(std::get<table::EnumValue>(f.value).code);  // the receiver names it from its schema
  }
}

std::vector<table::Field> decode_row(BinaryReader& in, const table::Schema& schema) {
  const auto n = in.u64();
  if (n != schema.size())
    throw std::runtime_error("row with " + std::to_string(n) + " fields for " + std::to_string(schema.size()) +
                             " columns");
  std::vector<table::Field> row(schema.size());
  for (size_t c = 0; c < schema.size(); ++c) {
    row[c].name = schema[c].name;
    const auto tag = in.u64();
    const auto expected = static_cast<uint64_t>(schema[c].kind);  // text, int64, float64, boolean, enumeration
    if (tag != expected) throw std::runtime_error("field '" + schema[c].name + "' has the wrong type");
    switch (schema[c].kind) {
      case table::ColumnKind::text:
        row[c].value = in.str();
        break;
      case table::ColumnKind::int64:
        row[c].value = in.i64();
        break;
      case table::ColumnKind::float64:
        row[c].value = in.f64();
        break;
      case table::ColumnKind::boolean:
        row[c].value = in.u64() != 0;
        break;
      case table::ColumnKind::enumeration: {
        const auto code = in.i64();
        if (code < 0 || static_cast<size_t>(code) >= schema[c].labels.size())
          throw std::runtime_error("field '" + schema[c].name + "' has the unknown value " + std::to_string(code));
        row[c].value = table::EnumValue{code, schema[c].labels[static_cast<size_t>(code)]};
        break;
      }
    }
  }
  return row;
}

}  // namespace infersweep::sweep
