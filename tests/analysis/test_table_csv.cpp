// Reading a CSV written from a table declaration (a search's capacity.csv) back into a column
// table: kinds, empty cells, enumerations, and one-line errors naming the file, line and column.
#include <gtest/gtest.h>

#include <cmath>

#include "infersweep/common/error.hpp"
#include "infersweep/io/table_csv.hpp"

namespace infersweep::io {
namespace {

using table::ColumnKind;

table::Schema schema() {
  table::ColumnSpec status{"status", ColumnKind::enumeration, "", "", 0, {"ok", "skipped", "failed", "timeout"}};
  return {{"config_id", ColumnKind::text, "", ""},
          status,
          {"tp", ColumnKind::int64, "", ""},
          {"capacity_qps", ColumnKind::float64, "1/s", ""},
          {"stopped_early", ColumnKind::boolean, "", ""},
          {"message", ColumnKind::text, "", ""}};
}

table::ColumnTable parse(const std::string& text) {
  return table_from_csv(CsvTable::parse(text, "out/capacity.csv"), schema());
}

// The one-line message of the InputError that reading `text` throws.
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

const std::string kHeader = "config_id,status,tp,capacity_qps,stopped_early,message\n";

TEST(TableCsv, ReadsEachKindAsDeclared) {
  const auto t = parse(kHeader +
                       "00ab,ok,2,12.5,false,\n"
                       "00cd,skipped,4,,true,\"too big, by far\"\n");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.text("config_id"), (std::vector<std::string>{"00ab", "00cd"}));
  EXPECT_EQ(t.enum_names("status"), (std::vector<std::string>{"ok", "skipped"}));
  EXPECT_EQ(t.codes("status"), (std::vector<int8_t>{0, 1}));
  EXPECT_EQ(t.int64("tp"), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(t.float64("capacity_qps")[0], 12.5);
  EXPECT_TRUE(std::isnan(t.float64("capacity_qps")[1]));
  EXPECT_EQ(t.boolean("stopped_early"), (std::vector<uint8_t>{0, 1}));
  EXPECT_EQ(t.text("message")[1], "too big, by far");
}

TEST(TableCsv, AHeaderOnlyFileIsAnEmptyTable) { EXPECT_EQ(parse(kHeader).rows(), 0u); }

TEST(TableCsv, AWrongHeaderNamesTheFileLineAndColumn) {
  const auto renamed = error_of("config_id,state,tp,capacity_qps,stopped_early,message\n");
  EXPECT_EQ(renamed.rfind("out/capacity.csv:1: header: column 2 is 'state', expected 'status'", 0), 0u) << renamed;
  const auto missing = error_of("config_id,status,tp,capacity_qps,stopped_early\n");
  EXPECT_NE(missing.find("out/capacity.csv:1: header: column 6 'message' is missing"), std::string::npos) << missing;
  const auto extra = error_of("config_id,status,tp,capacity_qps,stopped_early,message,rank\n");
  EXPECT_NE(extra.find("column 7 'rank' is not declared"), std::string::npos) << extra;
}

TEST(TableCsv, ABadCellNamesTheFileLineAndColumn) {
  EXPECT_EQ(error_of(kHeader + "a,ok,2,1,false,\nb,ok,two,1,false,\n"),
            "out/capacity.csv:3: column 'tp': expected an integer, got 'two'");
  EXPECT_EQ(error_of(kHeader + "a,ok,,1,false,\n"), "out/capacity.csv:2: column 'tp': expected an integer, got ''");
  EXPECT_EQ(error_of(kHeader + "a,ok,1,fast,false,\n"),
            "out/capacity.csv:2: column 'capacity_qps': expected a number (or an empty cell for none), got 'fast'");
  EXPECT_EQ(error_of(kHeader + "a,ok,1,1,yes,\n"),
            "out/capacity.csv:2: column 'stopped_early': expected true or false, got 'yes'");
  EXPECT_EQ(error_of(kHeader + "a,done,1,1,false,\n"),
            "out/capacity.csv:2: column 'status': expected one of ok, skipped, failed, timeout, got 'done'");
  const auto ragged = error_of(kHeader + "a,ok,1\n");
  EXPECT_EQ(ragged.rfind("out/capacity.csv:2: ", 0), 0u) << ragged;
}

}  // namespace
}  // namespace infersweep::io
