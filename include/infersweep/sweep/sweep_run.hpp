#pragma once
// One run of `infersweep sweep` on every rank of an MPI communicator: rank 0 reads the grid
// and the earlier file, writes the file, and dispatches; every rank (rank 0 on a second
// thread) runs capacity searches. Returns the process's exit code.
#include <mpi.h>

#include <string>

#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/grid_run_settings.hpp"
#include "infersweep/search/grid_spec.hpp"

namespace infersweep::sweep {

// Exit code of a sweep stopped early (signal, STOP file, deadline): rerun to resume.
constexpr int kExitStopped = 3;

struct SweepOptions {
  search::GridRunSettings run;  // the grid and the options `search` shares (threads are per rank)
  std::string out;
  std::string stop_file;  // empty: <out>.STOP
  std::string command_line;
  bool retry_failed = false;
  bool rank0_works = true;       // rank 0 also runs searches when there are other ranks
  double flush_interval_s = 2;   // results reach the file at least this often
  double deadline_s = 0;         // stop dispatching after this many seconds (0: none)
  double drain_timeout_s = 120;  // after a stop, wait this long for in-flight configs
};

int run_sweep(const SweepOptions& options, MPI_Comm comm);

}  // namespace infersweep::sweep
