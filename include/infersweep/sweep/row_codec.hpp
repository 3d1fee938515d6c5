#pragma once
// Rows in MPI messages: each field's value with a type tag, in schema order; the names come
// back from the schema on the receiving side, which checks every tag against it.
#include <vector>

#include "infersweep/common/binary_stream.hpp"
#include "infersweep/table/column_table.hpp"

namespace infersweep::sweep {

void encode_row(BinaryWriter& out, const std::vector<table::Field>& row);
// Throws std::runtime_error on a tag or length that does not match `schema`.
std::vector<table::Field> decode_row(BinaryReader& in, const table::Schema& schema);

}  // namespace infersweep::sweep
