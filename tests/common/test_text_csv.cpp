#include <gtest/gtest.h>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_table.hpp"

using namespace infersweep;

TEST(Text, ParsesStrictNumbers) {
  EXPECT_EQ(parse_int64(" 42 ", "x"), 42);
  EXPECT_EQ(parse_int64("1020.0", "x"), 1020);  // Vidur writes integral floats
  EXPECT_DOUBLE_EQ(parse_double("2.5e-3", "x"), 2.5e-3);
  EXPECT_THROW(parse_int64("12abc", "x"), InputError);
  EXPECT_THROW(parse_int64("1.5", "x"), InputError);
  EXPECT_THROW(parse_double("", "x"), InputError);
  EXPECT_THROW(parse_double("nan", "x"), InputError);
  EXPECT_TRUE(parse_bool("yes", "x"));
  EXPECT_THROW(parse_bool("maybe", "x"), InputError);
}

TEST(Text, FormatDoubleRoundTrips) {
  for (double v : {0.1, 1.0 / 3.0, 12345.678901234, 1e-300, 4096.0}) {
    EXPECT_EQ(parse_double(format_double(v), "x"), v);
  }
  EXPECT_EQ(format_double(4096.0), "4096");
}

TEST(Text, FormatCountGroupsThousands) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(4096), "4,096");
  EXPECT_EQ(format_count(-1234567), "-1,234,567");
}

TEST(CsvTable, ReadsHeaderRowsAndQuotedCells) {
  const auto t = io::CsvTable::parse("a,b,c\n1,\"x,y\",3\n\n4,5,6\n", "mem.csv");
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.cell(0, 1), "x,y");
  EXPECT_EQ(t.line_of(1), 4);
  EXPECT_EQ(t.as_int64(1, t.column("c")), 6);
}

TEST(CsvTable, BadInputNamesFileLineAndColumn) {
  try {
    io::CsvTable::parse("a,b\n1,2\n3\n", "ragged.csv");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "ragged.csv:3: expected 2 cells as in the header, got 1");
  }
  const auto t = io::CsvTable::parse("a,b\n1,oops\n", "cells.csv");
  try {
    t.as_double(0, t.column("b"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "cells.csv:2: column 'b': expected a finite number, got 'oops'");
  }
  try {
    t.column("num_tokens");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "cells.csv:1: column 'num_tokens': missing from the header (columns: a, b)");
  }
  EXPECT_THROW(io::CsvTable::read("/nonexistent/file.csv"), InputError);
}
