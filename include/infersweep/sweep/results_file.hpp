#pragma once
// The sweep's one HDF5 file (schema: docs/sweep.md). One process writes it (rank 0, serial
// driver, SWMR), so others can read it while the sweep runs:
//   /             attributes: schema version and the provenance of the latest run
//   /results/<c>  one 1-D column per result field, attributes `units` and `description`
//   /probes/<c>   one column per probe field
//   /runs/<NNNN>  one group per run of the sweep (first run and every resume), provenance
//   /progress     one record: rows committed, grid totals, state, start and heartbeat times
// Rows count only once /progress says they are committed: a writer killed between writing
// columns and committing leaves extra rows that readers ignore, and never a damaged row.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infersweep/common/error.hpp"
#include "infersweep/table/column_table.hpp"

namespace infersweep::sweep {

constexpr int64_t kSchemaVersion = 1;

enum class SweepState : int64_t { running = 0, complete = 1, stopped = 2, failed = 3 };
const char* to_string(SweepState state);

struct SweepProgress {
  int64_t run = 0;            // this run's number (1 for the first)
  int64_t results_rows = 0;   // committed rows of /results
  int64_t probes_rows = 0;    // committed rows of /probes
  int64_t grid_configs = 0;   // configs of the grid this run sweeps
  int64_t grid_done = 0;      // ... with a row in the file
  int64_t grid_failed = 0;    // ... whose row is failed or timeout
  int64_t done_this_run = 0;  // rows this run added
  int64_t state = 0;          // SweepState
  double start_unix = 0;      // when this run started (seconds since the epoch)
  double heartbeat_unix = 0;  // last time the writer committed or said it was alive
};

// A committed row whose stored checksum differs from its contents (sweep_schema.hpp).
struct DamagedRow {
  std::string table;      // "results" or "probes"
  int64_t row = 0;        // its index among the table's committed rows
  std::string config_id;  // as stored (the damage may reach it too)
};

struct ResultsFileContents {
  std::vector<table::Field> attributes;         // root attributes
  std::vector<std::vector<table::Field>> runs;  // /runs/*, in run order
  SweepProgress progress;
  table::ColumnTable results, probes;  // committed rows that are intact, without the checksum column
  std::vector<DamagedRow> damaged;     // committed rows left out of the tables
  bool rows_checked = true;            // false: the file has no checksums (written before them)
};

// The file still carries the mark of a writer that opened it outside SWMR mode (the end of a
// run records its end time that way) and was killed before it closed it. Readers refuse it;
// only a process that holds the writer lock (a resume) may clear the mark.
class StaleWritingMark : public InputError {
 public:
  using InputError::InputError;
};

// Reads a sweep file, finished, stopped, killed or still being written (SWMR read).
// Throws InputError, as one line naming the path and the way out, when the file is missing,
// is not a sweep file, or is damaged or truncated beyond its rows (within about a second:
// HDF5's metadata retries are bounded). Each attempt reads in a child process first, so that
// a crash or an endless loop inside HDF5 on damaged metadata is reported rather than suffered.
struct ReadLimits {
  int attempts = 4;          // a read racing the writer's flush can fail once: retried after 0.1, 0.2, 0.4 s
  double child_time_s = 10;  // the child's time, plus 1 s per 20 MB of file
};
ResultsFileContents read_results_file(const std::string& path, const ReadLimits& limits = {});
// Clears the mark (what `h5clear -s` does). Only for a writer that holds the lock.
void clear_writing_mark(const std::string& path);
// "3 damaged rows (checksum differs) left out: results 2 (row 4 config ..., ...); probes 1 (...)"
// on one line; empty when none.
std::string describe_damaged_rows(const ResultsFileContents& contents);

class ResultsFileWriter {
 public:
  // Writes `path` afresh through a temporary file renamed into place: the rows carried over
  // from an earlier file, the earlier runs, and this run's provenance (on / and as the last
  // /runs group). Then reopens it for SWMR appends.
  ResultsFileWriter(const std::string& path, const table::ColumnTable& results, const table::ColumnTable& probes,
                    const std::vector<std::vector<table::Field>>& earlier_runs,
                    const std::vector<table::Field>& provenance, const SweepProgress& progress);
  ~ResultsFileWriter();
  ResultsFileWriter(const ResultsFileWriter&) = delete;
  ResultsFileWriter& operator=(const ResultsFileWriter&) = delete;

  // Appends rows to both tables and commits them (flushed to the file before returning).
  // `progress.results_rows`/`probes_rows` are set here.
  void append(const table::ColumnTable& results, const table::ColumnTable& probes, SweepProgress progress);
  // Writes only the progress record (heartbeat, state).
  void write_progress(SweepProgress progress);
  // Appends column data without committing it: what a writer killed mid-append leaves
  // behind. For tests of the commit rule.
  void append_uncommitted_for_test(const table::ColumnTable& results);
  // Ends SWMR writing, closes, and records `end` on / and on this run's /runs group.
  void close(const std::vector<table::Field>& end);

  int64_t results_rows() const;
  int64_t probes_rows() const;

 private:
  void append_and_commit(const table::ColumnTable& results, const table::ColumnTable& probes, SweepProgress progress);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace infersweep::sweep
