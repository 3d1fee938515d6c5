#include "infersweep/cli/sweep_command.hpp"

#include <mpi.h>

#include <boost/program_options.hpp>

#include "infersweep/cli/command_line.hpp"
#include "infersweep/common/error.hpp"
#include <iostream>

#include "infersweep/sweep/provenance.hpp"
#include "infersweep/sweep/results_file.hpp"
#include "infersweep/sweep/sweep_run.hpp"
#include "infersweep/sweep/sweep_status.hpp"
#include "infersweep/sweep/sweep_stop.hpp"

namespace po = boost::program_options;

namespace infersweep::cli {

namespace {

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
  sweep::SweepOptions o;
  o.command_line = command_line;
  std::string deadline, drain = "120";
  po::options_description desc(
      "infersweep sweep: every config of a grid, over MPI ranks and OpenMP threads, into one HDF5 file "
      "(mpiexec -n N infersweep sweep ..., srun --mpi=pmi2 infersweep sweep ..., or one process)");
  desc.add_options()
      ("help,h", "show this help")
      ("grid", po::value(&o.grid), "grid file (YAML; see data/grids/ and docs/search.md)")
      ("out", po::value(&o.out), "results file (HDF5; docs/sweep.md); an existing one is resumed")
      ("threads", po::value(&o.threads)->default_value(0), "OpenMP threads per rank (0: $OMP_NUM_THREADS or every core)")
      ("retry-failed", po::bool_switch(&o.retry_failed), "run failed and timed-out configs of the file again")
      ("deadline", po::value(&deadline), "stop dispatching after this long (e.g. 11h30m, 11:30:00, 600) and exit 3")
      ("stop-file", po::value(&o.stop_file), "stop dispatching once this file exists and exit 3 (default: <out>.STOP)")
      ("drain-timeout", po::value(&drain)->default_value(drain), "after a stop, how long in-flight configs may take")
      ("config-time-limit", po::value(&o.config_wall_limit_s)->default_value(0),
       "wall seconds per config before it is recorded as timeout (checked between probes; 0: none)")
      ("flush-interval", po::value(&o.flush_interval_s)->default_value(o.flush_interval_s), "seconds between commits of results to the file")
      ("progress-interval", po::value(&o.progress_interval_s)->default_value(o.progress_interval_s), "seconds between progress lines on stderr")
      ("master-only", "rank 0 only dispatches and writes (with more than one rank)")
      ("data-dir", po::value(&o.data_dir), "directory with models/, gpus/, nodes/ specs (default: $INFERSWEEP_DATA_DIR or the shipped data/)")
      ("trace-dir", po::value(&o.paths.trace_dir), "where relative trace files are found (as for search)")
      ("model", po::value(&o.filter.models)->composing(), "sweep only this model of the grid (repeatable)")
      ("trace", po::value(&o.filter.traces)->composing(), "sweep only this trace of the grid (repeatable)")
      ("device", po::value(&o.filter.devices)->composing(), "sweep only clusters of this GPU (repeatable)")
      ("quiet,q", po::bool_switch(&o.quiet), "no progress lines or summary");
  po::variables_map vm;
  if (!parse_options(args, desc, vm)) return 0;
  if (o.grid.empty()) throw InputError::option("grid", "required: a grid file such as data/grids/quick.yaml");
  if (o.out.empty()) throw InputError::option("out", "required: the results file, e.g. results.h5");
  if (o.threads < 0) throw InputError::option("threads", "must not be negative");
  if (!(o.flush_interval_s > 0)) throw InputError::option("flush-interval", "must be positive");
  if (!(o.progress_interval_s > 0)) throw InputError::option("progress-interval", "must be positive");
  if (o.config_wall_limit_s < 0) throw InputError::option("config-time-limit", "must not be negative");
  if (!deadline.empty()) o.deadline_s = sweep::parse_duration(deadline, "deadline");
  o.drain_timeout_s = sweep::parse_duration(drain, "drain-timeout");
  o.rank0_works = vm.count("master-only") == 0;
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
  if (file.empty()) throw InputError::option("file", "required: the sweep's results file");
  const auto contents = sweep::read_results_file(file);
  std::cout << sweep::describe_sweep(file, contents, sweep::probe_writer(file), sweep::unix_now());
  return 0;
}

}  // namespace infersweep::cli
