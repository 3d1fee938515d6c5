#include "infersweep/cli/sweep_command.hpp"

#include <mpi.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "infersweep/cli/command_line.hpp"
#include "infersweep/cli/grid_run_options.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/config/output_location.hpp"
#include "infersweep/search/grid_run_settings.hpp"
#include "infersweep/sweep/provenance.hpp"
#include "infersweep/sweep/results_file.hpp"
#include "infersweep/sweep/sweep_run.hpp"
#include "infersweep/sweep/sweep_status.hpp"
#include "infersweep/sweep/sweep_stop.hpp"

namespace po = boost::program_options;

namespace infersweep::cli {

namespace {

// What only `sweep` has: its file, how it stops and how often it commits.
struct SweepOutputs {
  std::string out;
  std::string stop_file;
  std::string deadline;
  std::string drain_timeout = "120";
  double flush_interval_s = 2;
  bool retry_failed = false;
  bool master_only = false;
};

const config::SettingGroup<SweepOutputs>& sweep_output_settings() {
  static const auto group = [] {
    using config::Identity;
    using S = SweepOutputs;
    config::SettingGroup<S> g("Sweep file");
    g.add(&S::out, "out", Identity::none(), "results file (HDF5; docs/sweep.md); an existing one is resumed")
        .output_file();
    g.add(&S::stop_file, "stop-file", Identity::none(), "stop dispatching once this file exists and exit 3")
        .path()
        .default_note("<out>.STOP");
    g.add(&S::deadline, "deadline", Identity::none(),
          "stop dispatching after this long (e.g. 11h30m, 11:30:00, 600) and exit 3 (empty: none)");
    g.add(&S::drain_timeout, "drain-timeout", Identity::none(), "after a stop, how long in-flight configs may take");
    g.add(&S::flush_interval_s, "flush-interval", Identity::none(), "time between commits of results to the file")
        .positive()
        .unit("s");
    g.add(&S::retry_failed, "retry-failed", Identity::none(), "run failed and timed-out configs of the file again");
    g.add(&S::master_only, "master-only", Identity::none(),
          "rank 0 only dispatches and writes (with more than one rank)");
    return g;
  }();
  return group;
}

// MPI for the life of one command: initialised with the main thread as the only MPI caller
// (rank 0's worker thread never calls MPI), finalised however the command ends.
class MpiSession {
 public:
  MpiSession() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    if (provided < MPI_THREAD_FUNNELED) {
      MPI_Finalize();
      throw InputError("the MPI library does not support MPI_THREAD_FUNNELED");
    }
  }
  ~MpiSession() { MPI_Finalize(); }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

}  // namespace

int run_sweep_command(const std::vector<std::string>& args, const std::string& command_line) {
  SweepOutputs out;
  const auto run = parse_grid_run_options(
      args,
      "infersweep sweep: every config of a grid, over MPI ranks and OpenMP threads, into one HDF5 file "
      "(mpiexec -n N infersweep sweep ..., srun --mpi=pmi2 infersweep sweep ..., or one process)",
      sweep_output_settings(), out);
  if (!run) return 0;
  if (out.out.empty()) throw InputError::setting("out", "required: the results file, e.g. results.h5");
  config::check_output_locations(sweep_output_settings(), out);
  sweep::SweepOptions o;
  o.command_line = command_line;
  o.run = *run;
  o.out = out.out;
  o.stop_file = out.stop_file;
  o.retry_failed = out.retry_failed;
  o.rank0_works = !out.master_only;
  o.flush_interval_s = out.flush_interval_s;
  if (!out.deadline.empty()) o.deadline_s = sweep::parse_duration(out.deadline, "deadline");
  o.drain_timeout_s = sweep::parse_duration(out.drain_timeout, "drain-timeout");
  MpiSession mpi;
  return sweep::run_sweep(o, MPI_COMM_WORLD);
}

}  // namespace infersweep::cli

namespace infersweep::cli {

int run_status_command(const std::vector<std::string>& args) {
  std::string file;
  po::options_description desc("infersweep status results.h5: progress and state of a sweep file (also while it runs)");
  desc.add_options()("help,h", "show this help")("file", po::value(&file), "the sweep's results file");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (!parse_options(args, desc, vm, positional)) return 0;
  if (file.empty()) throw InputError::setting("file", "required: the sweep's results file");
  const auto contents = sweep::read_results_file(file);
  std::cout << sweep::describe_sweep(file, contents, sweep::probe_writer(file), sweep::unix_now());
  return 0;
}

}  // namespace infersweep::cli
