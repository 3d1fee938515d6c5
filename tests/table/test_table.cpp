#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "infersweep/table/column_table.hpp"

using namespace infersweep::table;

namespace {

Schema colour_schema() {
  return {{"id", ColumnKind::text, "", "which thing", 8},
          {"n", ColumnKind::int64, "items", "how many", 0},
          {"colour", ColumnKind::enumeration, "", "red or blue", 0, {"red", "blue"}},
          {"x", ColumnKind::float64, "s", "how long | how far", 0},
          {"flag", ColumnKind::boolean, "", "", 0}};
}

std::vector<Field> colour_row(const std::string& id, int64_t colour) {
  return {{"id", id},
          {"n", int64_t{3}},
          {"colour", EnumValue{colour, colour == 0 ? "red" : "blue"}},
          {"x", 0.25},
          {"flag", true}};
}

}  // namespace

TEST(TableField, EnumerationValuesAreWrittenAsTheirNames) {
  const Field f{"colour", EnumValue{1, "blue"}};
  EXPECT_EQ(field_text(f), "blue");
  EXPECT_EQ(std::get<std::string>(plain_value(f.value)), "blue");
  EXPECT_EQ(std::get<int64_t>(plain_value(Field::Value{int64_t{4}})), 4);
  EXPECT_EQ(field_text({"x", std::numeric_limits<double>::quiet_NaN()}), "");
  EXPECT_EQ(field_text({"b", false}), "false");
  EXPECT_TRUE((EnumValue{1, "blue"} < EnumValue{0, "red"}));  // by name, as text sorts
}

TEST(TableColumns, EnumerationColumnsKeepCodesAndGiveNames) {
  ColumnTable t(colour_schema());
  t.append(colour_row("a", 1));
  t.append(colour_row("b", 0));
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.codes("colour"), (std::vector<int8_t>{1, 0}));
  EXPECT_EQ(t.enum_names("colour"), (std::vector<std::string>{"blue", "red"}));
  const auto f = t.field(t.column_index("colour"), 0);
  EXPECT_EQ(std::get<EnumValue>(f.value), (EnumValue{1, "blue"}));
  EXPECT_THROW(t.text("colour"), std::bad_variant_access);

  auto misnamed = colour_row("c", 1);
  misnamed[2].value = EnumValue{1, "red"};
  EXPECT_THROW(t.append(misnamed), std::logic_error);
  auto out_of_range = colour_row("c", 1);
  out_of_range[2].value = EnumValue{2, "green"};
  EXPECT_THROW(t.append(out_of_range), std::logic_error);
  auto as_text = colour_row("c", 1);
  as_text[2].value = std::string("blue");
  EXPECT_THROW(t.append(as_text), std::logic_error);
  EXPECT_EQ(t.rows(), 2u);

  t.column(t.column_index("colour")) = std::vector<int8_t>{1, 5};
  EXPECT_THROW(t.set_rows_from_columns(), std::runtime_error);  // code 5 has no name
}

TEST(TableColumns, AppendFromMatchesEnumerationValuesByName) {
  ColumnTable source(colour_schema());
  source.append(colour_row("a", 1));
  auto reordered = colour_schema();
  reordered[2].labels = {"blue", "red"};
  ColumnTable target(reordered);
  target.append_from(source, 0);
  EXPECT_EQ(target.codes("colour")[0], 0);
  EXPECT_EQ(target.enum_names("colour")[0], "blue");
}

TEST(TableColumns, AppendFromTakesEnumerationValuesFromTextByName) {
  auto as_text = colour_schema();
  as_text[2].kind = ColumnKind::text;
  as_text[2].labels.clear();
  ColumnTable source(as_text);
  auto row = colour_row("a", 1);
  row[2].value = std::string("blue");
  source.append(row);
  row[2].value = std::string("green");
  source.append(row);
  ColumnTable target(colour_schema());
  target.append_from(source, 0);
  EXPECT_EQ(target.enum_names("colour"), std::vector<std::string>{"blue"});
  EXPECT_EQ(target.texts("colour"), std::vector<std::string>{"blue"});
  EXPECT_EQ(source.texts("colour"), (std::vector<std::string>{"blue", "green"}));
  EXPECT_THROW(target.append_from(source, 1), std::runtime_error);  // no such name
  EXPECT_EQ(target.rows(), 1u);
  EXPECT_NO_THROW(target.set_rows_from_columns());  // the failed row left no values behind
}

TEST(TableColumns, RowMismatchNamesTheFirstDifference) {
  const auto schema = colour_schema();
  EXPECT_EQ(row_mismatch(schema, colour_row("a", 0)), "");
  auto row = colour_row("a", 0);
  std::swap(row[0], row[1]);
  EXPECT_NE(row_mismatch(schema, row).find("field 'n' where column 'id' was expected"), std::string::npos);
  row = colour_row("a", 0);
  row.pop_back();
  EXPECT_NE(row_mismatch(schema, row).find("ends before column 'flag'"), std::string::npos);
  row = colour_row("a", 0);
  row.push_back({"extra", 1.0});
  EXPECT_NE(row_mismatch(schema, row).find("'extra' has no column"), std::string::npos);
  row = colour_row("a", 0);
  row[3].value = int64_t{1};
  EXPECT_NE(row_mismatch(schema, row).find("'x' is not of its column's kind (float64)"), std::string::npos);
}

TEST(TableColumns, MarkdownTableListsEveryColumnWithTypeAndUnits) {
  EXPECT_EQ(markdown_table(colour_schema()),
            "| column | type | units | meaning |\n"
            "|---|---|---|---|\n"
            "| `id` | text8 |  | which thing |\n"
            "| `n` | int64 | items | how many |\n"
            "| `colour` | enum (red, blue) |  | red or blue |\n"
            "| `x` | float64 | s | how long \\| how far |\n"
            "| `flag` | boolean |  |  |\n");
}
