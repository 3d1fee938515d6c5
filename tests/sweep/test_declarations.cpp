// The declared columns against the row builders, the sweep file and docs/sweep.md.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "generated_docs.hpp"
#include "infersweep/search/result_row.hpp"
#include "infersweep/sweep/results_file.hpp"
#include "infersweep/sweep/resume_plan.hpp"
#include "infersweep/sweep/sweep_schema.hpp"
#include "sweep/sweep_test_support.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sweep;
using namespace infersweep::table;

namespace {

const search::ConfigStatus kStatuses[] = {search::ConfigStatus::ok, search::ConfigStatus::skipped,
                                          search::ConfigStatus::failed, search::ConfigStatus::timeout};

search::ProbeRecord some_probe(double qps) {
  search::ProbeRecord p;
  p.qps = qps;
  p.passed = true;
  p.violated = "ttft_p90";
  p.ttft_p90 = 0.5;
  p.num_arrived = 10;
  p.hit_time_limit = true;
  return p;
}

search::ConfigResult result_with(search::ConfigStatus status) {
  search::ConfigResult r;
  r.status = status;
  r.message = "note";
  if (status == search::ConfigStatus::ok) {
    r.outcome.probes = {some_probe(1), some_probe(2)};
    r.outcome.best_probe = 1;
    r.outcome.capacity_qps = 2;
  }
  return r;
}

search::SearchUnit some_unit() {
  search::SearchUnit unit;
  unit.index = 7;
  unit.config_id = "0123456789abcdef";
  unit.labels.model = "llama";
  return unit;
}

}  // namespace

TEST(Declarations, RowBuildersFillExactlyTheDeclaredColumns) {
  for (auto status : kStatuses) {
    const auto result = result_with(status);
    EXPECT_EQ(row_mismatch(search::result_columns(), search::result_fields(some_unit(), result)), "")
        << to_string(status);
    EXPECT_EQ(row_mismatch(results_schema(), sweep_result_row(some_unit(), result, 2, 1)), "") << to_string(status);
  }
  EXPECT_EQ(row_mismatch(search::result_columns(), search::result_fields({}, {})), "");
  EXPECT_EQ(row_mismatch(search::probe_columns(), search::probe_fields(some_unit(), 3, some_probe(1))), "");
  EXPECT_EQ(row_mismatch(probes_schema(), sweep_probe_row(some_unit(), 3, some_probe(1), 2)), "");
}

TEST(Declarations, EveryColumnIsDescribedOnceAndStatusNamesFollowTheEnum) {
  for (const auto* schema : {&results_schema(), &probes_schema()}) {
    std::set<std::string> names;
    for (const auto& c : *schema) {
      EXPECT_TRUE(names.insert(c.name).second) << "duplicate column " << c.name;
      EXPECT_FALSE(c.description.empty()) << c.name;
      EXPECT_EQ(c.kind == ColumnKind::text, c.text_width > 0) << c.name;
      EXPECT_EQ(c.kind == ColumnKind::enumeration, !c.labels.empty()) << c.name;
    }
  }
  const auto& status = results_schema()[ColumnTable(results_schema()).column_index("status")];
  ASSERT_EQ(status.kind, ColumnKind::enumeration);
  ASSERT_EQ(status.labels.size(), std::size(kStatuses));
  for (auto s : kStatuses) {
    EXPECT_EQ(status.labels[static_cast<size_t>(s)], to_string(s));
    EXPECT_EQ(search::status_value(s), (EnumValue{static_cast<int64_t>(s), to_string(s)}));
  }
}

TEST(Declarations, StatusIsAnHdf5EnumInTheFileAndReadsBackByName) {
  test_support::TempDir dir;
  const auto path = (dir.path / "enum.h5").string();
  ColumnTable results(results_schema()), probes(probes_schema());
  for (auto s : kStatuses) results.append(sweep_result_row(some_unit(), result_with(s), 1, 0));
  for (int64_t k = 0; k < 2; ++k) probes.append(sweep_probe_row(some_unit(), k, some_probe(1.0 + k), 1));
  SweepProgress progress;
  progress.run = 1;
  progress.state = static_cast<int64_t>(SweepState::stopped);
  {
    ResultsFileWriter writer(path, results, probes, {}, {{"run", int64_t{1}}}, progress);
    writer.close({{"exit_state", std::string("stopped")}});
  }
  const auto contents = read_results_file(path);
  const auto& spec = contents.results.schema()[contents.results.column_index("status")];
  EXPECT_EQ(spec.kind, ColumnKind::enumeration);
  EXPECT_EQ(spec.labels, (std::vector<std::string>{"ok", "skipped", "failed", "timeout"}));
  EXPECT_EQ(contents.results.enum_names("status"), (std::vector<std::string>{"ok", "skipped", "failed", "timeout"}));
  EXPECT_EQ(contents.results.codes("status"), (std::vector<int8_t>{0, 1, 2, 3}));
  EXPECT_EQ(contents.progress.state, static_cast<int64_t>(SweepState::stopped));
  EXPECT_EQ(contents.probes.boolean("passed"), (std::vector<uint8_t>{1, 1}));  // booleans stay booleans

  // What any HDF5 reader sees: an enum type naming its values, for the column and the state.
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t column = H5Dopen2(file, "results/status", H5P_DEFAULT);
  const hid_t type = H5Dget_type(column);
  EXPECT_EQ(H5Tget_class(type), H5T_ENUM);
  EXPECT_EQ(H5Tget_nmembers(type), 4);
  char name[16] = {};
  const int8_t failed = 2;
  ASSERT_GE(H5Tenum_nameof(type, &failed, name, sizeof name), 0);
  EXPECT_STREQ(name, "failed");
  const hid_t record = H5Dopen2(file, "progress", H5P_DEFAULT);
  const hid_t record_type = H5Dget_type(record);
  const int state = H5Tget_member_index(record_type, "state");
  ASSERT_GE(state, 0);
  const hid_t state_type = H5Tget_member_type(record_type, static_cast<unsigned>(state));
  EXPECT_EQ(H5Tget_class(state_type), H5T_ENUM);
  const int64_t complete = 1;
  ASSERT_GE(H5Tenum_nameof(state_type, &complete, name, sizeof name), 0);
  EXPECT_STREQ(name, "complete");
  for (hid_t t : {type, record_type, state_type}) H5Tclose(t);
  H5Dclose(column);
  H5Dclose(record);
  H5Fclose(file);
}

// Files written while status was a text column still read, and resume into the enum column.
TEST(Declarations, AFileWithATextStatusColumnReadsAndResumesByName) {
  test_support::TempDir dir;
  const auto path = (dir.path / "text-status.h5").string();
  auto old_schema = results_schema();
  const size_t status_column = ColumnTable(old_schema).column_index("status");
  old_schema[status_column].kind = ColumnKind::text;
  old_schema[status_column].text_width = 8;
  old_schema[status_column].labels.clear();
  ColumnTable results(old_schema), probes(probes_schema());
  std::vector<search::SearchUnit> units;
  for (auto s : kStatuses) {
    auto row = sweep_result_row(some_unit(), result_with(s), 1, 0);
    row[status_column].value = std::string(to_string(s));
    row[1].value = std::string("000000000000000") + std::to_string(static_cast<int>(s));
    units.push_back(some_unit());
    units.back().config_id = std::get<std::string>(row[1].value);
    results.append(row);
  }
  SweepProgress progress;
  progress.run = 1;
  progress.grid_configs = 4;
  { ResultsFileWriter(path, results, probes, {}, {{"run", int64_t{1}}}, progress).close({}); }
  const auto contents = read_results_file(path);
  EXPECT_EQ(contents.results.schema()[status_column].kind, ColumnKind::text);
  EXPECT_EQ(contents.results.texts("status"), (std::vector<std::string>{"ok", "skipped", "failed", "timeout"}));
  const auto plan = plan_resume(&contents, units, true);
  EXPECT_EQ(plan.results.schema()[status_column].kind, ColumnKind::enumeration);
  EXPECT_EQ(plan.results.enum_names("status"), (std::vector<std::string>{"ok", "skipped"}));  // failures retried
  EXPECT_EQ(plan.retried, 2);
}

// docs/sweep.md's column tables are the declaration's Markdown rendering. Run this test with
// INFERSWEEP_UPDATE_DOCS=1 to rewrite them after changing a declaration.
TEST(Declarations, DocsColumnTablesAreGeneratedFromTheDeclaration) {
  test_support::expect_generated_tables(
      "docs/sweep.md", {{"/results", markdown_table(results_schema())}, {"/probes", markdown_table(probes_schema())}},
      "tests/sweep/test_declarations.cpp");
}
