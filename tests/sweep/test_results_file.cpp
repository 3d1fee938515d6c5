#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include "infersweep/common/error.hpp"
#include "infersweep/sweep/results_file.hpp"
#include "infersweep/sweep/resume_plan.hpp"
#include "sweep/sweep_test_support.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sweep;
using namespace infersweep::table;
using infersweep::test_support::probe_row;
using infersweep::test_support::result_row;

namespace {

struct Batch {
  ColumnTable results{results_schema()}, probes{probes_schema()};
  Batch& add(const std::string& id, const std::string& status, int64_t run, int probes_of_row = 2) {
    results.append(result_row(id, status, run, 1.5));
    for (int p = 0; p < probes_of_row; ++p) probes.append(probe_row(id, p, run, 0.25 * (p + 1)));
    return *this;
  }
};

SweepProgress first_run() {
  SweepProgress p;
  p.run = 1;
  p.grid_configs = 10;
  p.start_unix = 1000;
  return p;
}

}  // namespace

TEST(ResultsFile, WhatIsWrittenIsReadBackWithSchemaUnitsAndProvenance) {
  test_support::TempDir dir;
  const auto path = (dir.path / "r.h5").string();
  Batch carried;
  carried.add("00000000000000aa", "ok", 1);
  {
    ResultsFileWriter writer(path, carried.results, carried.probes, {},
                             {{"run", int64_t{1}}, {"grid_text", std::string("models: []\n")}, {"ranks", int64_t{3}}},
                             first_run());
    Batch more;
    more.add("00000000000000bb", "failed", 1, 0).add("00000000000000cc", "skipped", 1, 0);
    more.results.column(more.results.column_index("message")) =
        std::vector<std::string>{std::string(399, 'x') + "é and more", "short"};
    auto p = first_run();
    p.grid_done = 3;
    writer.append(more.results, more.probes, p);
    EXPECT_EQ(writer.results_rows(), 3);
    p.state = static_cast<int64_t>(SweepState::complete);
    writer.write_progress(p);
    writer.close({{"end_time", std::string("2026-01-01T00:00:00Z")}, {"exit_state", std::string("complete")}});
  }
  const auto c = read_results_file(path);
  ASSERT_EQ(c.results.rows(), 3u);
  EXPECT_EQ(c.probes.rows(), 2u);
  EXPECT_EQ(c.results.text("config_id")[1], "00000000000000bb");
  EXPECT_EQ(c.results.enum_names("status")[2], "skipped");
  EXPECT_DOUBLE_EQ(c.results.float64("capacity_qps")[0], 1.5);
  EXPECT_TRUE(std::isnan(c.results.float64("capacity_qps")[1]));   // only ok rows have a capacity
  EXPECT_EQ(c.results.text("message")[1], std::string(399, 'x'));  // cut before the 2-byte character
  EXPECT_EQ(c.results.schema()[c.results.column_index("ttft_p90")].units, "s");
  EXPECT_EQ(c.probes.boolean("passed")[0], 1);
  EXPECT_EQ(c.progress.grid_done, 3);
  EXPECT_EQ(c.progress.state, static_cast<int64_t>(SweepState::complete));
  ASSERT_EQ(c.runs.size(), 1u);
  auto attribute = [](const std::vector<table::Field>& fs, const std::string& name) {
    for (const auto& f : fs)
      if (f.name == name) return table::field_text(f);
    return std::string("<absent>");
  };
  EXPECT_EQ(attribute(c.attributes, "grid_text"), "models: []\n");
  EXPECT_EQ(attribute(c.attributes, "ranks"), "3");
  EXPECT_EQ(attribute(c.attributes, "exit_state"), "complete");
  EXPECT_EQ(attribute(c.runs[0], "end_time"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(attribute(c.attributes, "schema_version"), std::to_string(kSchemaVersion));
}

TEST(ResultsFile, AWriterKilledMidAppendLeavesItsCommittedRowsAndNothingElse) {
  test_support::TempDir dir;
  const auto path = (dir.path / "killed.h5").string();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Batch none, committed, pending;
    committed.add("0000000000000001", "ok", 1).add("0000000000000002", "ok", 1);
    for (int i = 0; i < 50; ++i) pending.add("10000000000000" + std::to_string(10 + i), "ok", 1);
    ResultsFileWriter writer(path, none.results, none.probes, {}, {{"run", int64_t{1}}}, first_run());
    writer.append(committed.results, committed.probes, first_run());
    writer.append_uncommitted_for_test(pending.results);
    const char byte = 1;
    if (write(ready[1], &byte, 1) != 1) _exit(3);
    pause();
    _exit(0);
  }
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  const auto c = read_results_file(path);
  ASSERT_EQ(c.results.rows(), 2u);
  EXPECT_EQ(c.results.text("config_id")[1], "0000000000000002");
  EXPECT_EQ(c.probes.rows(), 4u);

  // Resuming rewrites the file through a temporary: the crashed file is only ever read.
  const auto plan = plan_resume(&c, {}, false);
  EXPECT_EQ(plan.run, 2);
  {
    ResultsFileWriter writer(path, plan.results, plan.probes, plan.earlier_runs, {{"run", int64_t{2}}},
                             SweepProgress{2});
    writer.close({});
  }
  const auto resumed = read_results_file(path);
  EXPECT_EQ(resumed.results.rows(), 2u);
  EXPECT_EQ(resumed.probes.rows(), 4u);
  EXPECT_EQ(resumed.runs.size(), 2u);
}

// A reader that opens the file outside SWMR holds a shared lock while it reads (HDF5 uses
// flock); the writer's final reopen waits for it instead of failing. The lock is taken here on
// a descriptor of our own, released by a thread that makes no HDF5 call.
TEST(ResultsFile, ClosingWaitsForAReaderThatHoldsTheFileLock) {
  test_support::TempDir dir;
  const auto path = (dir.path / "r.h5").string();
  Batch rows;
  rows.add("00000000000000aa", "ok", 1);
  ResultsFileWriter writer(path, rows.results, rows.probes, {}, {{"run", int64_t{1}}}, first_run());
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_SH | LOCK_NB), 0);
  std::thread reader([fd] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::close(fd);
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(writer.close({{"end_time", std::string("2026-01-01T00:00:00Z")}}));
  reader.join();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
  const auto contents = read_results_file(path);
  bool recorded = false;
  for (const auto& f : contents.attributes) recorded |= f.name == "end_time";
  EXPECT_TRUE(recorded);
  EXPECT_EQ(contents.results.rows(), 1u);
}

TEST(ResultsFile, MissingOrForeignFilesAreInputErrors) {
  test_support::TempDir dir;
  EXPECT_THROW(read_results_file((dir.path / "absent.h5").string()), InputError);
  const auto text = (dir.path / "text.h5").string();
  std::ofstream(text) << "not hdf5\n";
  EXPECT_THROW(read_results_file(text), InputError);
}

TEST(ResumePlan, KeepsTheLatestRowPerIdAndItsProbesAndRetriesFailuresOnRequest) {
  ResultsFileContents c;
  c.progress.run = 2;
  c.runs = {{{"run", int64_t{1}}}, {{"run", int64_t{2}}}};
  Batch rows;
  rows.add("000000000000000a", "failed", 1)
      .add("000000000000000b", "ok", 1)
      .add("000000000000000a", "ok", 2, 3)
      .add("000000000000000c", "timeout", 2, 1)
      .add("00000000000000ff", "ok", 2);
  c.results = rows.results;
  c.probes = rows.probes;

  search::SearchUnit a, b, cc, d, skipped;
  a.config_id = "000000000000000a";
  b.config_id = "000000000000000b";
  cc.config_id = "000000000000000c";
  d.config_id = "000000000000000d";
  skipped.config_id = "000000000000000e";
  skipped.skip_reason = "does not fit";
  const std::vector<search::SearchUnit> units{a, b, cc, d, skipped};

  const auto keep = plan_resume(&c, units, false);
  EXPECT_EQ(keep.run, 3);
  EXPECT_EQ(keep.results.rows(), 4u);             // a (run 2), b, c, ff: one row per id
  EXPECT_EQ(keep.probes.rows(), 3u + 2 + 1 + 2);  // a's run-2 probes only
  EXPECT_EQ(keep.to_search, (std::vector<size_t>{3}));
  EXPECT_EQ(keep.to_record_skipped, (std::vector<size_t>{4}));
  EXPECT_EQ(keep.grid_done, 3);
  EXPECT_EQ(keep.grid_failed, 1);
  EXPECT_EQ(keep.earlier_runs.size(), 2u);

  const auto retry = plan_resume(&c, units, true);
  EXPECT_EQ(retry.retried, 1);
  EXPECT_EQ(retry.results.rows(), 3u);
  EXPECT_EQ(retry.to_search, (std::vector<size_t>{2, 3}));
  EXPECT_EQ(retry.grid_failed, 0);
  EXPECT_EQ(
      std::count(retry.probes.text("config_id").begin(), retry.probes.text("config_id").end(), "000000000000000c"), 0);
}
