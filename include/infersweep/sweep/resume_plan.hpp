#pragma once
// What a sweep run does given what its file already holds: rows to carry over, configs still
// to run, and the run's number. A config counts as done when the file has a row for its id
// (the id covers every setting, the trace content and the engine version); with
// retry_failed, failed and timed-out rows are dropped and their configs run again. If a file
// somehow holds two rows for one id, the later one is kept, so the carried-over file never
// has duplicates.
#include <cstdint>
#include <string>
#include <vector>

#include "infersweep/search/deployment_space.hpp"
#include "infersweep/sweep/results_file.hpp"

namespace infersweep::sweep {

struct ResumePlan {
  int64_t run = 1;
  table::ColumnTable results, probes;  // carried over (current schema)
  std::vector<std::vector<table::Field>> earlier_runs;
  std::vector<size_t> to_search;           // positions in `units`: runnable, not done
  std::vector<size_t> to_record_skipped;   // positions in `units`: not runnable, not done
  int64_t grid_done = 0, grid_failed = 0;  // of `units`, rows carried over
  int64_t retried = 0;                     // failed/timeout rows dropped to run again
};

// `existing` is null for a new file.
ResumePlan plan_resume(const ResultsFileContents* existing, const std::vector<search::SearchUnit>& units,
                       bool retry_failed);

bool is_failure_status(const std::string& status);  // failed or timeout

// A sweep file prices each GPU one way, since its fronts and best choices compare QPS per
// dollar across rows. Throws InputError naming both prices and their sources when a row of
// `existing` priced a GPU of `units` otherwise than they do; a mere change of source at the
// same price is let through, each row keeping its own. Files written before sources were
// recorded are checked by price alone.
void check_same_prices(const ResultsFileContents& existing, const std::vector<search::SearchUnit>& units,
                       const std::string& path);

}  // namespace infersweep::sweep
