#pragma once
// Reads back a CSV file written from a table declaration (the search's capacity.csv and
// probes.csv): the header must name the declared columns in order, and each cell is parsed by
// its column's kind: an empty cell is NaN for a float64 column, booleans are true/false, an
// enumeration value is one of its names. Errors are one line naming the file, line and column.
#include <string>

#include "infersweep/io/csv_table.hpp"
#include "infersweep/table/column_table.hpp"

namespace infersweep::io {

// Throws InputError when the file cannot be read, its header differs from `schema`, or a cell
// does not parse as its column's kind.
table::ColumnTable read_table_csv(const std::string& path, const table::Schema& schema);
table::ColumnTable table_from_csv(const CsvTable& csv, const table::Schema& schema);

}  // namespace infersweep::io
