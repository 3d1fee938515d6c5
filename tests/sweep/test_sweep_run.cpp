#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "infersweep/common/error.hpp"
#include "infersweep/search/search_runner.hpp"
#include "infersweep/sweep/results_file.hpp"
#include "infersweep/sweep/sweep_run.hpp"
#include "infersweep/sweep/sweep_status.hpp"
#include "infersweep/sweep/sweep_stop.hpp"
#include "search/search_test_support.hpp"
#include "sweep/sweep_test_support.hpp"

using namespace infersweep;
using namespace infersweep::sweep;
using namespace infersweep::table;
using infersweep::test_support::rows_by_key;

namespace {

struct SmallSweep {
  test_support::TempDir dir;
  SweepOptions options;
  explicit SmallSweep(const std::string& grid_extra = "") {
    options.run.grid = (dir.path / "grid.yaml").string();
    options.out = (dir.path / "results.h5").string();
    options.run.data_dir = test_support::data_dir();
    options.run.threads = 2;
    options.run.quiet = true;
    write_grid(test_support::small_grid_text(grid_extra, 200));
  }
  void write_grid(const std::string& text) const { std::ofstream(options.run.grid) << text; }
  int run() const { return run_sweep(options, MPI_COMM_WORLD); }
  ResultsFileContents read() const { return read_results_file(options.out); }
};

// The rows `search` would produce for the same grid, through the sweep's row definition.
std::pair<ColumnTable, ColumnTable> searched_rows(const std::string& grid_text) {
  const auto grid = search::parse_grid_text(grid_text, "grid.yaml", ".");
  const auto units = search::enumerate_grid(grid, test_support::catalog());
  search::PredictorPool pool;
  search::SearchRunOptions run;
  run.threads = 1;
  const auto results = search::run_searches(units, test_support::catalog(), pool, run);
  ColumnTable r(results_schema()), p(probes_schema());
  for (size_t i = 0; i < units.size(); ++i) {
    r.append(sweep_result_row(units[i], results[i], 1, 0));
    for (size_t k = 0; k < results[i].outcome.probes.size(); ++k)
      p.append(sweep_probe_row(units[i], static_cast<int64_t>(k), results[i].outcome.probes[k], 1));
  }
  return {r, p};
}

// Probe rows keyed by config id and probe number.
std::map<std::string, std::vector<std::string>> probes_by_key(const ColumnTable& probes) {
  ColumnTable keyed(probes.schema());
  std::vector<std::string> keys;
  for (size_t r = 0; r < probes.rows(); ++r)
    keys.push_back(probes.text("config_id")[r] + "/" + std::to_string(probes.int64("probe")[r]));
  for (size_t r = 0; r < probes.rows(); ++r) keyed.append_from(probes, r);
  keyed.column(keyed.column_index("config_id")) = keys;
  return rows_by_key(keyed, "config_id");
}

}  // namespace

TEST(Sweep, RowsEqualTheSearchCommandsAndASecondRunAddsNothing) {
  SmallSweep s;
  ASSERT_EQ(s.run(), 0);
  const auto first = s.read();
  const auto [results, probes] = searched_rows(test_support::small_grid_text("", 200));
  ASSERT_GT(results.rows(), 4u);
  EXPECT_EQ(rows_by_key(first.results, "config_id"), rows_by_key(results, "config_id"));
  EXPECT_EQ(probes_by_key(first.probes), probes_by_key(probes));
  EXPECT_EQ(first.progress.state, static_cast<int64_t>(SweepState::complete));
  EXPECT_EQ(first.progress.grid_done, first.progress.grid_configs);

  const auto report = describe_sweep(s.options.out, first, WriterPresence::absent, first.progress.heartbeat_unix);
  EXPECT_NE(report.find("state: complete"), std::string::npos) << report;
  EXPECT_NE(report.find("configs: " + std::to_string(results.rows()) + "/" + std::to_string(results.rows())),
            std::string::npos)
      << report;

  ASSERT_EQ(s.run(), 0);
  const auto second = s.read();
  EXPECT_EQ(second.progress.run, 2);
  EXPECT_EQ(second.progress.done_this_run, 0);
  EXPECT_EQ(second.runs.size(), 2u);
  EXPECT_EQ(rows_by_key(second.results, "config_id"), rows_by_key(first.results, "config_id"));
  EXPECT_EQ(second.probes.rows(), first.probes.rows());
}

TEST(Sweep, TimedOutConfigsStayUntilRetriedThenTheirRowsAreReplaced) {
  SmallSweep s;
  s.options.run.config_wall_limit_s = 1e-9;
  ASSERT_EQ(s.run(), 0);
  const auto timed_out = s.read();
  const auto status = timed_out.results.enum_names("status");
  const auto timeouts = std::count(status.begin(), status.end(), "timeout");
  EXPECT_GT(timeouts, 0);
  EXPECT_EQ(timed_out.progress.grid_failed, timeouts);
  EXPECT_EQ(timed_out.probes.rows(), 0u);

  s.options.run.config_wall_limit_s = 0;
  ASSERT_EQ(s.run(), 0);
  EXPECT_EQ(s.read().progress.done_this_run, 0);  // done, even if timed out, until asked

  s.options.retry_failed = true;
  ASSERT_EQ(s.run(), 0);
  const auto retried = s.read();
  EXPECT_EQ(retried.progress.done_this_run, timeouts);
  EXPECT_EQ(retried.progress.grid_failed, 0);
  const auto [results, probes] = searched_rows(test_support::small_grid_text("", 200));
  EXPECT_EQ(rows_by_key(retried.results, "config_id"), rows_by_key(results, "config_id"));
  EXPECT_EQ(probes_by_key(retried.probes), probes_by_key(probes));
}

TEST(Sweep, AChangedGridAddsOnlyItsNewConfigs) {
  SmallSweep s;
  ASSERT_EQ(s.run(), 0);
  const auto before = s.read();
  auto text = test_support::small_grid_text("", 200);
  text.replace(text.find("batch_sizes: [64]"), 17, "batch_sizes: [64, 32]");
  s.write_grid(text);
  ASSERT_EQ(s.run(), 0);
  const auto after = s.read();
  EXPECT_EQ(after.results.rows(), 2 * before.results.rows());
  EXPECT_EQ(after.progress.done_this_run, static_cast<int64_t>(before.results.rows()));
  const auto& batch = after.results.int64("batch_size");
  const auto& run = after.results.int64("run");
  for (size_t r = 0; r < after.results.rows(); ++r) EXPECT_EQ(run[r], batch[r] == 64 ? 1 : 2);
}

TEST(Sweep, AMixedGridRecordsEachConfigsShapeAndBothPoolsInTheFile) {
  const std::string section =
      "disaggregated:\n"
      "  - device: a100\n"
      "    num_gpus: 4\n"
      "    pd_ratios: [\"1:1\"]\n"
      "    prefill_tp: [1]\n"
      "    decode_tp: [1, 2]\n";
  SmallSweep s(section);
  ASSERT_EQ(s.run(), 0);
  const auto file = s.read();
  // The rows a search of the same grid gives, bit for bit.
  const auto [results, probes] = searched_rows(test_support::small_grid_text(section, 200));
  EXPECT_EQ(rows_by_key(file.results, "config_id"), rows_by_key(results, "config_id"));
  const auto& r = file.results;
  ASSERT_EQ(r.rows(), 8u + 4u);  // co-located: 2 schedulers x TP 2 x PP 2; disaggregated: 2 x 2 decode TPs
  const auto shape = r.texts("shape");
  const auto& labels = r.text("scheduler_label");
  const auto& status = r.texts("status");
  std::map<std::string, int> by_shape;
  for (size_t i = 0; i < r.rows(); ++i) {
    ++by_shape[shape[i]];
    EXPECT_EQ(status[i], "ok") << labels[i] << ": " << r.text("message")[i];
    if (shape[i] != "disaggregated") {
      EXPECT_EQ(r.int64("decode_replicas")[i], 0);
      EXPECT_EQ(r.text("decode_device")[i], "");
      continue;
    }
    EXPECT_EQ(r.text("pd_ratio")[i], "1:1");
    EXPECT_EQ(r.text("decode_device")[i], "a100");
    EXPECT_EQ(r.text("kv_transfer")[i], "whole");
    const int64_t decode_tp = r.int64("decode_tp")[i];
    // TP 1 decode: 2 + 2 replicas on the 4 GPUs; TP 2: 1 + 1 on 3 of them.
    EXPECT_EQ(r.int64("decode_replicas")[i], decode_tp == 1 ? 2 : 1);
    EXPECT_EQ(r.int64("gpus")[i], decode_tp == 1 ? 4 : 3);
    EXPECT_NE(labels[i].find(decode_tp == 1 ? " P2:D2 tp1/tp1" : " P1:D1 tp1/tp2"), std::string::npos) << labels[i];
    EXPECT_DOUBLE_EQ(r.float64("dollars_per_hour")[i],
                     static_cast<double>(r.int64("gpus")[i]) * r.float64("price_per_gpu_hour")[i]);
    EXPECT_GT(r.float64("capacity_qps")[i], 0);
  }
  EXPECT_EQ(by_shape["colocated"], 8);
  EXPECT_EQ(by_shape["disaggregated"], 4);
}

TEST(Sweep, ASecondSweepOnTheSameFileIsRefusedWhileTheFirstHoldsIt) {
  SmallSweep s;
  ASSERT_EQ(s.run(), 0);
  std::ofstream(s.options.out + ".lock");
  // Hold the lock as a running sweep would.
  const int fd = ::open((s.options.out + ".lock").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  EXPECT_EQ(probe_writer(s.options.out), WriterPresence::writing);
  try {
    s.run();
    ADD_FAILURE() << "a second writer was let in";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("another sweep is writing"), std::string::npos) << e.what();
  }
  ::close(fd);
  EXPECT_EQ(probe_writer(s.options.out), WriterPresence::absent);
}

TEST(Sweep, AResumeWithOtherPricesIsRefusedNamingBothAndTheSamePriceGoesOn) {
  SmallSweep s;
  ASSERT_EQ(s.run(), 0);
  const auto first = s.read();
  const std::string shipped =
      "gpu spec a100.ini: CoreWeave on-demand list price, as used by Vidur's analyzer/constants.py (2024-02-07)";
  for (const auto& source : first.results.text("price_source")) EXPECT_EQ(source, shipped);

  const auto prices = (s.dir.path / "prices.ini").string();
  std::ofstream(prices) << "a100 = 3\n";
  s.options.run.gpu_prices = prices;
  try {
    s.run();
    ADD_FAILURE() << "a resume at another price was let in";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot resume " + s.options.out + ": its rows price a100 at 2.21 $/GPU-hour (" +
                                         shipped +
                                         "), this run at 3 (prices file prices.ini:1); resume with the prices the "
                                         "file was started with, or sweep into a new file");
  }
  EXPECT_EQ(s.read().progress.run, 1);  // the file is as it was

  // The same price from elsewhere: the resume goes on, each row keeping its own source.
  std::ofstream(prices) << "a100 = 2.21\n";
  ASSERT_EQ(s.run(), 0);
  const auto second = s.read();
  EXPECT_EQ(second.progress.run, 2);
  EXPECT_EQ(rows_by_key(second.results, "config_id"), rows_by_key(first.results, "config_id"));
}

TEST(Sweep, AFileWrittenBeforePriceSourcesIsResumedAndCheckedByPrice) {
  SmallSweep s;
  ASSERT_EQ(s.run(), 0);
  // The same file as a sweep of before would have left it: no price_source column.
  {
    const auto now = s.read();
    Schema old_schema;
    for (const auto& spec : now.results.schema())
      if (spec.name != "price_source") old_schema.push_back(spec);
    ColumnTable old_results(old_schema);
    for (size_t r = 0; r < now.results.rows(); ++r) old_results.append_from(now.results, r);
    ResultsFileWriter writer(s.options.out, old_results, now.probes, {}, {}, now.progress);
    writer.close({});
  }
  const auto old = s.read();
  ASSERT_FALSE(old.results.has_column("price_source"));
  ASSERT_EQ(s.run(), 0);
  const auto resumed = s.read();
  EXPECT_EQ(resumed.progress.done_this_run, 0);
  for (const auto& source : resumed.results.text("price_source")) EXPECT_EQ(source, "");

  const auto prices = (s.dir.path / "prices.ini").string();
  std::ofstream(prices) << "a100 = 3\n";
  s.options.run.gpu_prices = prices;
  try {
    s.run();
    ADD_FAILURE() << "a resume at another price was let in";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("its rows price a100 at 2.21 $/GPU-hour (source not recorded), this run at 3"),
              std::string::npos)
        << e.what();
  }
}

TEST(SweepStop, DurationsInTheFormsJobScriptsUse) {
  EXPECT_DOUBLE_EQ(parse_duration("600", "d"), 600);
  EXPECT_DOUBLE_EQ(parse_duration("45m", "d"), 2700);
  EXPECT_DOUBLE_EQ(parse_duration("1h30m", "d"), 5400);
  EXPECT_DOUBLE_EQ(parse_duration("2.5s", "d"), 2.5);
  EXPECT_DOUBLE_EQ(parse_duration("11:30:00", "d"), 41400);
  EXPECT_DOUBLE_EQ(parse_duration("30:00", "d"), 1800);
  EXPECT_DOUBLE_EQ(parse_duration("1-00:00:10", "d"), 86410);
  for (const char* bad : {"", "soon", "0", "-5", "5x", "1:2:3:4"})
    EXPECT_THROW(parse_duration(bad, "d"), InputError) << bad;
}

TEST(SweepStop, AStopFileOrAPassedDeadlineGivesAReason) {
  test_support::TempDir dir;
  const auto file = (dir.path / "STOP").string();
  SweepStopCondition by_file(file, 0);
  EXPECT_EQ(by_file.stop_reason(), "");
  std::ofstream(file) << "";
  EXPECT_NE(by_file.stop_reason().find("stop file"), std::string::npos);
  SweepStopCondition by_deadline("", 0.01);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_NE(by_deadline.stop_reason().find("deadline"), std::string::npos);
}
