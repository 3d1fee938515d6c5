#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "infersweep/sweep/bundle_planner.hpp"
#include "infersweep/sweep/row_codec.hpp"
#include "infersweep/sweep/sweep_schema.hpp"
#include "infersweep/table/column_table.hpp"

using namespace infersweep;
using namespace infersweep::sweep;
using namespace infersweep::table;

namespace {

Schema little_schema() {
  return {{"id", ColumnKind::text, "", "", 8},
          {"n", ColumnKind::int64, "", "", 0},
          {"x", ColumnKind::float64, "s", "", 0},
          {"flag", ColumnKind::boolean, "", "", 0}};
}

std::vector<table::Field> little_row(const std::string& id, int64_t n, double x, bool flag) {
  return {{"id", id}, {"n", n}, {"x", x}, {"flag", flag}};
}

}  // namespace

TEST(ColumnTable, RowsGoInAndComeOutAsFields) {
  ColumnTable t(little_schema());
  t.append(little_row("a", 1, 0.5, true));
  t.append(little_row("b", -2, std::numeric_limits<double>::quiet_NaN(), false));
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.text("id")[1], "b");
  EXPECT_EQ(t.int64("n")[1], -2);
  EXPECT_TRUE(std::isnan(t.float64("x")[1]));
  EXPECT_EQ(std::get<bool>(t.row(0)[3].value), true);
  EXPECT_EQ(table::field_text(t.row(0)[2]), "0.5");
}

TEST(ColumnTable, AWrongTypeOrNameIsRejectedAndTheTableStaysRectangular) {
  ColumnTable t(little_schema());
  t.append(little_row("a", 1, 0.5, true));
  auto bad = little_row("c", 3, 1.0, true);
  bad[2].value = int64_t{7};
  EXPECT_THROW(t.append(bad), std::logic_error);
  auto renamed = little_row("c", 3, 1.0, true);
  renamed[1].name = "m";
  EXPECT_THROW(t.append(renamed), std::logic_error);
  EXPECT_EQ(t.rows(), 1u);
  EXPECT_NO_THROW(t.set_rows_from_columns());
  EXPECT_EQ(t.int64("n").size(), 1u);
}

TEST(ColumnTable, AppendFromFillsColumnsTheSourceLacks) {
  Schema narrow = little_schema();
  narrow.pop_back();
  narrow.erase(narrow.begin() + 2);
  ColumnTable source(narrow);
  source.append({{"id", std::string("z")}, {"n", int64_t{9}}});
  ColumnTable t(little_schema());
  t.append_from(source, 0);
  EXPECT_EQ(t.text("id")[0], "z");
  EXPECT_EQ(t.int64("n")[0], 9);
  EXPECT_TRUE(std::isnan(t.float64("x")[0]));
  EXPECT_EQ(t.boolean("flag")[0], 0);
}

TEST(RowCodec, RoundTripsEveryKindBitForBit) {
  const auto schema = little_schema();
  const double tiny = std::nextafter(0.1, 1.0);
  BinaryWriter out;
  encode_row(out, little_row("héllo", INT64_MIN, tiny, true));
  encode_row(out, little_row("", 0, std::numeric_limits<double>::quiet_NaN(), false));
  BinaryReader in(out.bytes());
  const auto a = decode_row(in, schema);
  const auto b = decode_row(in, schema);
  EXPECT_TRUE(in.at_end());
  EXPECT_EQ(std::get<std::string>(a[0].value), "héllo");
  EXPECT_EQ(std::get<int64_t>(a[1].value), INT64_MIN);
  EXPECT_EQ(std::get<double>(a[2].value), tiny);
  EXPECT_TRUE(std::get<bool>(a[3].value));
  EXPECT_TRUE(std::isnan(std::get<double>(b[2].value)));
  EXPECT_EQ(a[2].name, "x");
}

TEST(RowCodec, RejectsARowOfAnotherSchema) {
  BinaryWriter out;
  encode_row(out, little_row("a", 1, 2.0, false));
  auto other = little_schema();
  other[1].kind = ColumnKind::float64;
  BinaryReader in(out.bytes());
  EXPECT_THROW(decode_row(in, other), std::runtime_error);
  auto shorter = little_schema();
  shorter.pop_back();
  BinaryReader again(out.bytes());
  EXPECT_THROW(decode_row(again, shorter), std::runtime_error);
  const std::string cut = out.bytes().substr(0, out.bytes().size() - 3);
  BinaryReader truncated(cut);
  EXPECT_THROW(decode_row(truncated, little_schema()), std::runtime_error);
}

TEST(SweepSchema, EveryColumnHasADescriptionAndRowsMatchTheSchema) {
  const auto results = results_schema();
  const auto probes = probes_schema();
  for (const auto* schema : {&results, &probes})
    for (const auto& c : *schema) {
      EXPECT_FALSE(c.description.empty()) << c.name;
      if (c.kind == ColumnKind::text) {
        EXPECT_GT(c.text_width, 0u) << c.name;
      }
    }
  ColumnTable t(results);
  search::SearchUnit unit;
  unit.config_id = "0123456789abcdef";
  search::ConfigResult r;
  r.status = search::ConfigStatus::timeout;
  EXPECT_NO_THROW(t.append(sweep_result_row(unit, r, 3, 2)));
  EXPECT_EQ(t.enum_names("status")[0], "timeout");
  EXPECT_EQ(t.int64("run")[0], 3);
  EXPECT_EQ(t.int64("rank")[0], 2);
  for (const char* name : {"capacity_qps", "ttft_p90", "tbt_p99", "e2e_p99", "scheduling_delay_p99", "mfu_mean_percent",
                           "memory_usage_mean_percent", "batch_size_mean", "num_probes", "qps_per_dollar", "gpus",
                           "dollars_per_hour", "wall_s", "message"})
    EXPECT_TRUE(t.has_column(name)) << name;
  EXPECT_EQ(t.schema()[t.column_index("ttft_p90")].units, "s");
  EXPECT_TRUE(is_execution_column("wall_s"));
  EXPECT_FALSE(is_execution_column("capacity_qps"));
}

TEST(BundlePlanner, HandsOutEveryTaskOnceInOrderWithShrinkingBundles) {
  std::vector<int64_t> tasks(1000);
  for (size_t i = 0; i < tasks.size(); ++i) tasks[i] = static_cast<int64_t>(i) * 3;
  BundlePlanner planner(tasks, 8);
  std::vector<int64_t> seen;
  size_t previous = SIZE_MAX;
  while (!planner.done()) {
    const size_t remaining = planner.remaining();
    const auto bundle = planner.next(4);
    ASSERT_FALSE(bundle.empty());
    EXPECT_LE(bundle.size(), previous);
    EXPECT_LE(bundle.size(), 16u);
    EXPECT_GE(bundle.size(), std::min<size_t>(4, remaining));
    previous = bundle.size();
    seen.insert(seen.end(), bundle.begin(), bundle.end());
  }
  EXPECT_EQ(seen, tasks);
  EXPECT_TRUE(planner.next(4).empty());
}

TEST(BundlePlanner, SizeRuleIsGuidedAndBoundedByTheRanksThreads) {
  EXPECT_EQ(BundlePlanner::bundle_size(10000, 4, 1), 16u);    // capped
  EXPECT_EQ(BundlePlanner::bundle_size(10000, 4, 64), 256u);  // 4 x threads
  EXPECT_EQ(BundlePlanner::bundle_size(100, 4, 1), 4u);       // ceil(100 / 32)
  EXPECT_EQ(BundlePlanner::bundle_size(100, 80, 64), 64u);    // never below the rank's threads
  EXPECT_EQ(BundlePlanner::bundle_size(3, 80, 64), 3u);       // nor above what is left
}

TEST(BundlePlanner, LongestFirstIsStableForEqualCosts) {
  EXPECT_EQ(longest_first({10, 11, 12, 13}, {1.0, 5.0, 1.0, 5.0}), (std::vector<int64_t>{11, 13, 10, 12}));
  EXPECT_THROW(longest_first({1}, {}), std::invalid_argument);
}
