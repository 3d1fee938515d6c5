#include "infersweep/sweep/sweep_run.hpp"

#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "infersweep/search/progress_meter.hpp"
#include "infersweep/search/search_runner.hpp"
#include "infersweep/sim/replica_scheduler.hpp"
#include "infersweep/spec/spec_catalog.hpp"
#include "infersweep/sweep/bundle_planner.hpp"
#include "infersweep/sweep/dispatch.hpp"
#include "infersweep/sweep/provenance.hpp"
#include "infersweep/sweep/results_file.hpp"
#include "infersweep/sweep/resume_plan.hpp"
#include "infersweep/sweep/row_codec.hpp"
#include "infersweep/sweep/sweep_schema.hpp"
#include "infersweep/sweep/sweep_stop.hpp"
#include "infersweep/sweep/writer_lock.hpp"

namespace infersweep::sweep {

namespace {

using Clock = std::chrono::steady_clock;

bool all_ranks_ok(MPI_Comm comm, bool ok) {
  int mine = ok ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_LAND, comm);
  return all != 0;
}

void broadcast_text(MPI_Comm comm, std::string& text) {
  uint64_t size = text.size();
  MPI_Bcast(&size, 1, MPI_UINT64_T, 0, comm);
  text.resize(size);
  MPI_Bcast(text.data(), static_cast<int>(size), MPI_CHAR, 0, comm);
}

// Runs `step` on every rank; if it fails anywhere, every rank leaves: the failing ones with
// their error (prefixed by the rank on workers), the others quietly with exit code 1. What
// fails on rank 0 is said by rank 0 alone: a bad grid fails on every rank alike, and N copies
// of one message, interleaved, help nobody.
template <class Step>
bool on_every_rank(MPI_Comm comm, int rank, Step step, std::string& error) {
  try {
    step();
  } catch (const std::exception& e) {
    error = rank == 0 ? e.what() : "rank " + std::to_string(rank) + ": " + e.what();
  }
  if (all_ranks_ok(comm, error.empty())) return true;
  int rank0_failed = rank == 0 && !error.empty() ? 1 : 0;
  MPI_Bcast(&rank0_failed, 1, MPI_INT, 0, comm);
  if (rank0_failed && rank != 0) error.clear();
  return false;
}

// Cost estimate for longest-first ordering, fitted on vidur-default's wall times: searches
// simulate every request at every probe, pipeline stages add events, and each scheduler's
// relative cost is one of its traits.
double expected_cost(const search::SearchUnit& unit) {
  const double requests = static_cast<double>(unit.simulation.workload.num_requests.value_or(1));
  const double stages = 1 + 0.25 * static_cast<double>(unit.labels.pp - 1);
  const auto& scheduler = unit.simulation.scheduler.replica_scheduler;
  const auto& schedulers = sim::builtin_replica_schedulers();
  const double weight =
      schedulers.contains(scheduler) ? schedulers.traits("replica-scheduler", scheduler).relative_cost : 1;
  return requests * stages * weight;
}

class SearchBundleRunner : public BundleRunner {
 public:
  SearchBundleRunner(const std::vector<search::SearchUnit>& units, const spec::SpecCatalog& catalog, int threads,
                     int64_t run, int rank, double wall_limit_s)
      : units_(units), catalog_(catalog), threads_(threads), run_(run), rank_(rank), wall_limit_s_(wall_limit_s) {}

  int threads() const override { return threads_; }

  std::string run(const std::vector<int64_t>& tasks) override {
    std::vector<search::SearchUnit> bundle;
    for (int64_t t : tasks) {
      if (t < 0 || static_cast<size_t>(t) >= units_.size()) throw std::runtime_error("task out of range");
      bundle.push_back(units_[static_cast<size_t>(t)]);
    }
    search::SearchRunOptions options;
    options.threads = threads_;
    options.config_wall_limit_s = wall_limit_s_;
    const auto results = search::run_searches(bundle, catalog_, pool_, options);
    BinaryWriter out;
    out.u64(results.size());
    for (size_t i = 0; i < results.size(); ++i) {
      encode_row(out, sweep_result_row(bundle[i], results[i], run_, rank_));
      out.u64(results[i].outcome.probes.size());
      for (size_t p = 0; p < results[i].outcome.probes.size(); ++p)
        encode_row(out, sweep_probe_row(bundle[i], static_cast<int64_t>(p), results[i].outcome.probes[p], run_));
    }
    return out.bytes();
  }

 private:
  const std::vector<search::SearchUnit>& units_;
  const spec::SpecCatalog& catalog_;
  search::PredictorPool pool_;  // one per rank: predictors stay loaded from bundle to bundle
  int threads_;
  int64_t run_;
  int rank_;
  double wall_limit_s_;
};

// Rank 0's side of the results: buffers rows, commits them to the file every flush
// interval, and prints progress.
class FileResultSink : public ResultSink {
 public:
  FileResultSink(ResultsFileWriter& writer, SweepProgress progress, double flush_interval_s, std::ostream* log,
                 int64_t to_search, double progress_interval_s)
      : writer_(writer),
        progress_(progress),
        flush_interval_s_(flush_interval_s),
        results_(results_schema()),
        probes_(probes_schema()),
        status_column_(results_.column_index("status")),
        meter_(log, "sweep", to_search, progress_interval_s),
        last_flush_(Clock::now()) {}

  // Returns whether the row is a failure (failed or timeout).
  bool add_row(const std::vector<table::Field>& row) {
    results_.append(row);
    const auto& status = std::get<table::EnumValue>(row[status_column_].value).name;
    const bool failure = is_failure_status(status);
    ++progress_.grid_done;
    ++progress_.done_this_run;
    progress_.grid_failed += failure ? 1 : 0;
    ++count_by_status_[status];
    return failure;
  }

  void consume(const std::string& payload, int, const std::vector<int64_t>& tasks) override {
    BinaryReader in(payload);
    const auto n = in.u64();
    if (n != tasks.size()) throw std::runtime_error("a bundle came back with the wrong number of results");
    const auto& probe_schema = probes_.schema();
    for (uint64_t i = 0; i < n; ++i) {
      const bool failure = add_row(decode_row(in, results_.schema()));
      const auto probes = in.u64();
      for (uint64_t p = 0; p < probes; ++p) probes_.append(decode_row(in, probe_schema));
      meter_.item_done(failure);
    }
    if (!in.at_end()) throw std::runtime_error("trailing bytes in a results message");
  }

  void idle() override {
    meter_.tick();
    if (std::chrono::duration<double>(Clock::now() - last_flush_).count() >= flush_interval_s_) flush();
  }

  void flush() {
    progress_.heartbeat_unix = unix_now();
    writer_.append(results_, probes_, progress_);
    results_.clear();
    probes_.clear();
    last_flush_ = Clock::now();
  }

  void finish(SweepState state) {
    progress_.state = static_cast<int64_t>(state);
    flush();
    meter_.finish();
  }

  const SweepProgress& progress() const { return progress_; }
  const std::map<std::string, int64_t>& count_by_status() const { return count_by_status_; }

 private:
  ResultsFileWriter& writer_;
  SweepProgress progress_;
  double flush_interval_s_;
  table::ColumnTable results_, probes_;
  size_t status_column_;
  search::ProgressMeter meter_;
  Clock::time_point last_flush_;
  std::map<std::string, int64_t> count_by_status_;
};

std::string describe_counts(const std::map<std::string, int64_t>& counts) {
  std::string text;
  for (const auto& [status, n] : counts) text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + status;
  return text.empty() ? "none" : text;
}

}  // namespace

int run_sweep(const SweepOptions& o, MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  install_stop_signal_handlers();
  std::ostream* log = (o.run.quiet || rank != 0) ? nullptr : &std::cerr;
  const std::string stop_file = o.stop_file.empty() ? o.out + ".STOP" : o.stop_file;

  // Every rank enumerates the same grid text (read once, on rank 0) and checks that it
  // arrives at the same configs: a trace that differs between nodes would otherwise mix.
  std::string error, grid_text;
  std::optional<spec::SpecCatalog> catalog;
  std::vector<search::SearchUnit> units;
  search::GridSpec grid;
  auto fail = [&]() -> int {
    if (!error.empty()) throw InputError(error);
    return 1;
  };
  if (!on_every_rank(
          comm, rank,
          [&] {
            if (rank == 0) grid_text = io::read_file_bytes(o.run.grid);
          },
          error))
    return fail();
  broadcast_text(comm, grid_text);
  if (!on_every_rank(
          comm, rank,
          [&] {
            const auto base = std::filesystem::path(o.run.grid).parent_path().string();
            grid = o.run.parse_grid(grid_text, base.empty() ? "." : base);
            catalog.emplace(spec::SpecCatalog::load(spec::resolve_data_dir(o.run.data_dir)));
            units = search::enumerate_grid(grid, *catalog, o.run.filter());
            search::check_grid_memory(units, search::thread_count(o.run.threads, nullptr));
          },
          error))
    return fail();
  std::string ids;
  // Prices are no part of an id: they are compared with it.
  for (const auto& u : units) ids += u.config_id + format_double(u.price_per_gpu_hour) + u.price_source + "\n";
  std::string rank0_ids = ids;
  broadcast_text(comm, rank0_ids);
  if (!on_every_rank(
          comm, rank,
          [&] {
            if (ids != rank0_ids)
              throw InputError(
                  "the grid enumerates to other configs or prices here than on rank 0: are the trace, data, "
                  "prices or profiling files the same on every node?");
          },
          error))
    return fail();

  const int threads = search::thread_count(o.run.threads, rank == 0 ? log : nullptr);
  std::vector<int> threads_per_rank(static_cast<size_t>(size));
  MPI_Gather(&threads, 1, MPI_INT, threads_per_rank.data(), 1, MPI_INT, 0, comm);
  const bool rank0_works = o.rank0_works || size == 1;
  if (!rank0_works) threads_per_rank[0] = 0;

  // Rank 0 prepares the file; the others wait for the run number (or for the word to leave).
  std::optional<WriterLock> lock;
  std::optional<ResultsFileWriter> writer;
  ResumePlan plan;
  SweepProgress start;  // the file's progress record as this run begins
  if (!on_every_rank(
          comm, rank,
          [&] {
            if (rank != 0) return;
            lock.emplace(o.out);
            std::optional<ResultsFileContents> existing;
            if (std::filesystem::exists(o.out)) {
              try {
                existing = read_results_file(o.out);
              } catch (const StaleWritingMark&) {
                // A sweep killed while it recorded its end: every row is committed, and no
                // other writer holds the lock (taken above).
                clear_writing_mark(o.out);
                if (log) *log << "sweep: cleared the writing mark a killed sweep left on " << o.out << "\n";
                existing = read_results_file(o.out);
              }
              if (log && !existing->rows_checked)
                *log << "sweep: " << o.out << " has no row checksums (written before them); its rows are carried "
                     << "over unchecked and get checksums now\n";
              if (log && !existing->results.has_column("price_source"))
                *log << "sweep: " << o.out << " records no price sources (written before them); its rows keep their "
                     << "prices, without a source\n";
              check_same_prices(*existing, units, o.out);
              if (log && !existing->damaged.empty())
                *log << "sweep: " << o.out << ": " << describe_damaged_rows(*existing) << "; their configs run again\n";
            }
            if (received_stop_signal()) throw InputError("stopped by a signal before the sweep began");
            plan = plan_resume(existing ? &*existing : nullptr, units, o.retry_failed);
            std::error_code ignored;
            if (std::filesystem::remove(stop_file, ignored) && log)
              *log << "sweep: removed the stop file " << stop_file << " left by an earlier run\n";
            RunContext context;
            context.run = plan.run;
            context.command_line = o.command_line;
            context.grid_file = o.run.grid;
            context.grid_text = grid_text;
            context.out = o.out;
            context.seed = static_cast<int64_t>(grid.seed);
            context.ranks = size;
            context.threads_per_rank = threads_per_rank;
            context.rank0_works = rank0_works;
            context.retry_failed = o.retry_failed;
            start.run = plan.run;
            start.grid_configs = static_cast<int64_t>(units.size());
            start.grid_done = plan.grid_done;
            start.grid_failed = plan.grid_failed;
            start.start_unix = start.heartbeat_unix = unix_now();
            writer.emplace(o.out, plan.results, plan.probes, plan.earlier_runs, run_provenance(context), start);
          },
          error))
    return fail();
  int64_t run = plan.run;
  MPI_Bcast(&run, 1, MPI_INT64_T, 0, comm);

  SearchBundleRunner runner(units, *catalog, threads, run, rank, o.run.config_wall_limit_s);
  // Every rank leaves with the master's exit code: launchers report different codes
  // differently (Hydra under SIGTERM reports the last rank's).
  auto agree_on_exit_code = [&](int code) {
    MPI_Bcast(&code, 1, MPI_INT, 0, comm);
    return code;
  };
  if (rank != 0) {
    run_worker(comm, runner);
    return agree_on_exit_code(0);
  }

  if (log) {
    *log << "sweep: " << o.run.grid << ": " << units.size() << " configs; " << plan.grid_done << " already in " << o.out
         << (plan.retried ? " (" + std::to_string(plan.retried) + " failed rows to retry)" : std::string()) << ", "
         << plan.to_search.size() << " to search, " << plan.to_record_skipped.size() << " to record as skipped\n"
         << "sweep: " << size << " rank" << (size > 1 ? "s" : "") << ", threads per rank";
    for (int t : threads_per_rank) *log << " " << t;
    *log << "; stop with SIGTERM, by creating " << stop_file << ", or with --deadline\n";
  }
  FileResultSink sink(*writer, start, o.flush_interval_s, log, static_cast<int64_t>(plan.to_search.size()),
                      o.run.progress_interval_s);
  search::PredictorPool no_predictors;  // a skipped unit's result needs none
  for (size_t u : plan.to_record_skipped)
    sink.add_row(sweep_result_row(units[u], search::run_unit_search(units[u], *catalog, no_predictors), run, 0));

  std::vector<int64_t> tasks;
  std::vector<double> cost;
  for (size_t u : plan.to_search) {
    tasks.push_back(static_cast<int64_t>(u));
    cost.push_back(expected_cost(units[u]));
  }
  SweepStopCondition stop(stop_file, o.deadline_s);
  DispatchOptions dispatch;
  dispatch.drain_timeout_s = o.drain_timeout_s;
  DispatchReport report;
  try {
    report = run_master(comm, longest_first(tasks, cost), rank0_works ? &runner : nullptr, sink, stop, dispatch);
  } catch (const std::exception& e) {
    std::cerr << "infersweep sweep: error: " << e.what() << "\n";
    try {
      sink.finish(SweepState::failed);
      writer->close(
          {{"end_time", utc_now_iso8601()}, {"exit_state", std::string("failed")}, {"error", std::string(e.what())}});
    } catch (const std::exception& e2) {
      std::cerr << "infersweep sweep: could not close " << o.out << ": " << e2.what() << "\n";
    }
    MPI_Abort(comm, 2);
    return 2;
  }

  const bool complete = report.stop_reason.empty() && report.tasks_completed == report.tasks_total;
  const auto state = complete ? SweepState::complete : SweepState::stopped;
  sink.finish(state);
  try {
    writer->close({{"end_time", utc_now_iso8601()},
                   {"exit_state", std::string(to_string(state))},
                   {"stop_reason", report.stop_reason},
                   {"configs_this_run", sink.progress().done_this_run}});
  } catch (const std::exception& e) {
    // Every row and the final state are committed by now; only the end-of-run attributes are lost.
    std::cerr << "infersweep sweep: warning: results are complete in " << o.out
              << ", but the run's end time and exit state could not be recorded: " << e.what() << "\n";
  }
  const auto& p = sink.progress();
  if (!o.run.quiet) {
    std::cout << "sweep: run " << run << " added " << p.done_this_run << " rows ("
              << describe_counts(sink.count_by_status()) << "); " << p.grid_done << " of " << p.grid_configs
              << " configs of the grid are in " << o.out << "\n";
    for (int r = 0; r < size; ++r)
      if (report.threads_per_rank[static_cast<size_t>(r)] > 0)
        std::cout << "  rank " << r << ": " << report.tasks_per_rank[static_cast<size_t>(r)] << " configs on "
                  << report.threads_per_rank[static_cast<size_t>(r)] << " thread"
                  << (report.threads_per_rank[static_cast<size_t>(r)] > 1 ? "s" : "") << "\n";
  }
  if (complete) return agree_on_exit_code(0);
  std::cout << "sweep: stopped early (" << report.stop_reason << "); " << (p.grid_configs - p.grid_done)
            << " configs left; run the same command again to resume\n"
            << std::flush;
  if (!report.drained) {
    std::cerr << "sweep: in-flight configs did not finish within " << o.drain_timeout_s
              << " s; they are left for the next run\n";
    MPI_Abort(comm, kExitStopped);
  }
  return agree_on_exit_code(kExitStopped);
}

}  // namespace infersweep::sweep
