#include <gtest/gtest.h>

#include <filesystem>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/io/file_bytes.hpp"

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

TEST(Text, PrintableEscapesControlAndInvalidBytesAndKeepsUtf8) {
  EXPECT_EQ(printable("plain, text"), "plain, text");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x89\xa4 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x89\xa4 \xf0\x9f\x98\x80");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable("\x1b[31mred\nnext\tx\r\x7f"), "\\x1b[31mred\\nnext\\tx\\x0d\\x7f");
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xc3"), "\\xc3");                    // truncated sequence
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
}

TEST(Text, InputErrorsNeverCarryRawBytes) {
  const char raw[] = "\x1b]0;title\x07\n\xff\0tail";
  const std::string hostile(raw, sizeof raw - 1);
  const auto e = InputError::in_file("trace\n.csv", 3, "column '\x01'", "got '" + hostile + "'");
  const std::string what = e.what();
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_EQ(what.find('\x1b'), std::string::npos) << what;
  EXPECT_NE(what.find("tail"), std::string::npos) << what;  // a NUL does not cut the message
  for (const unsigned char c : what) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << what;
  EXPECT_EQ(e.file(), "trace\\n.csv");
  try {
    parse_int64(hostile, "x.csv:2: column 'n'");
    FAIL();
  } catch (const InputError& error) {
    for (const unsigned char c : std::string(error.what())) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << error.what();
  }
}

TEST(CsvTable, AByteOrderMarkDoesNotStickToTheFirstColumn) {
  const auto table = io::CsvTable::parse(
      "\xef\xbb\xbf"
      "arrived_at,n\r\n1.5,2\r\n",
      "excel.csv");
  EXPECT_EQ(table.column("arrived_at"), 0u);
  EXPECT_EQ(table.as_double(0, 0), 1.5);
}

TEST(FileBytes, ADirectoryIsNamedAsOne) {
  const auto dir = std::filesystem::temp_directory_path().string();
  try {
    io::read_file_bytes(dir);
    FAIL() << "read a directory";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(dir + ": is a directory"), std::string::npos) << e.what();
  }
  try {
    io::CsvTable::read(dir + "/no-such-infersweep-file.csv");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
  }
}
