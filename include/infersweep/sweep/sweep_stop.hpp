#pragma once
// The ways a running sweep is asked to stop early, as one StopCondition: SIGTERM or SIGINT
// (what Slurm and Ctrl-C send; mpiexec and srun pass them to every rank), a STOP file (what a
// job script writes when its batch shell gets the pre-timeout SIGUSR1, which MPICH itself
// uses), and a wall-clock deadline.
#include <chrono>
#include <string>

#include "infersweep/sweep/dispatch.hpp"

namespace infersweep::sweep {

// Records SIGTERM/SIGINT instead of dying, on every rank; only rank 0 acts on it (workers
// finish when the master says so). Signal handlers can only set a process-wide flag, so this
// is the one piece of process state the sweep has.
void install_stop_signal_handlers();
int received_stop_signal();  // 0 if none

// "90", "90s", "15m", "2h", "1h30m", "1-02:00:00", "02:00:00" or "30:00" -> seconds.
// Throws InputError naming `option` when the text is none of these.
double parse_duration(const std::string& text, const std::string& option);

class SweepStopCondition : public StopCondition {
 public:
  // deadline_s <= 0: none; stop_file empty: none.
  SweepStopCondition(std::string stop_file, double deadline_s);
  std::string stop_reason() override;

 private:
  std::string stop_file_;
  double deadline_s_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace infersweep::sweep
