#pragma once
// `infersweep status`: what a sweep file says about its sweep, finished or still running.
#include <string>

#include "infersweep/sweep/results_file.hpp"

namespace infersweep::sweep {

enum class WriterPresence { writing, absent, unknown };

// Whether a sweep holds <out>.lock right now (only meaningful where the lock file's
// filesystem supports flock across the machines involved).
WriterPresence probe_writer(const std::string& results_path);

// The sweep's state in a word or two: running, interrupted (the writer is gone), stopped
// early, complete or failed.
std::string state_in_brief(const SweepProgress& progress, WriterPresence writer);

// The report `status` prints: the run, its state, done/total, rate, ETA, failures, rows by
// status and the history of runs. `now_unix` is the current time.
std::string describe_sweep(const std::string& path, const ResultsFileContents& contents, WriterPresence writer,
                           double now_unix);

}  // namespace infersweep::sweep
