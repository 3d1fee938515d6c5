#include "infersweep/sweep/sweep_status.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "infersweep/common/text.hpp"
#include "infersweep/search/progress_meter.hpp"
#include "infersweep/sweep/resume_plan.hpp"
#include "infersweep/sweep/writer_lock.hpp"

namespace infersweep::sweep {

namespace {

std::string attribute(const std::vector<table::Field>& fields, const std::string& name) {
  for (const auto& f : fields)
    if (f.name == name) return printable(table::field_text(f));  // a damaged file may hold any bytes
  return {};
}

std::string fixed(double v, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, v);
  return text;
}

}  // namespace

WriterPresence probe_writer(const std::string& results_path) {
  const std::string lock = results_path + ".lock";
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return locked_for_writing(results_path) ? WriterPresence::writing : WriterPresence::absent;
  const bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
  ::close(fd);
  return free && !locked_for_writing(results_path) ? WriterPresence::absent : WriterPresence::writing;
}

std::string state_in_brief(const SweepProgress& progress, WriterPresence writer) {
  const auto state = static_cast<SweepState>(progress.state);
  if (state == SweepState::running) return writer == WriterPresence::absent ? "interrupted" : "running";
  if (state == SweepState::stopped) return "stopped early";
  return to_string(state);
}

std::string describe_sweep(const std::string& path, const ResultsFileContents& c, WriterPresence writer,
                           double now_unix) {
  const auto& p = c.progress;
  const auto& latest = c.runs.empty() ? c.attributes : c.runs.back();
  std::ostringstream out;
  out << path << ": sweep of " << attribute(c.attributes, "grid_file") << ", run " << p.run << " ("
      << attribute(latest, "ranks") << " ranks, threads per rank " << attribute(latest, "threads_per_rank") << ", on "
      << attribute(latest, "host");
  const auto job = attribute(latest, "slurm_job_id");
  if (!job.empty()) out << ", Slurm job " << job;
  out << ")\n";

  const double since_commit = now_unix - p.heartbeat_unix;
  const double elapsed = p.heartbeat_unix - p.start_unix;
  out << "state: ";
  const auto state = static_cast<SweepState>(p.state);
  if (state == SweepState::running && writer == WriterPresence::absent)
    out << "interrupted: the writer is gone (last commit " << search::ProgressMeter::format_duration(since_commit)
        << " ago); run the same sweep command again to resume\n";
  else if (state == SweepState::running)
    out << "running, last commit " << search::ProgressMeter::format_duration(since_commit) << " ago\n";
  else if (state == SweepState::stopped)
    out << "stopped early (" << attribute(latest, "stop_reason") << ") at " << attribute(latest, "end_time")
        << "; run the same sweep command again to resume\n";
  else
    out << to_string(state) << " at " << attribute(latest, "end_time") << "\n";

  const double share =
      p.grid_configs > 0 ? 100.0 * static_cast<double>(p.grid_done) / static_cast<double>(p.grid_configs) : 100;
  const double rate = elapsed > 0 ? static_cast<double>(p.done_this_run) / elapsed : 0;
  out << "configs: " << p.grid_done << "/" << p.grid_configs << " done (" << fixed(share, 1) << "%), " << p.grid_failed
      << " failed or timed out; this run: " << p.done_this_run << " in "
      << search::ProgressMeter::format_duration(elapsed) << ", " << fixed(rate, 2) << " configs/s";
  if (state == SweepState::running && writer != WriterPresence::absent && p.grid_done < p.grid_configs)
    out << ", ETA "
        << (rate > 0 ? search::ProgressMeter::format_duration(static_cast<double>(p.grid_configs - p.grid_done) / rate)
                     : std::string("unknown"));
  out << "\n";

  std::map<std::string, int64_t> by_status;
  for (const auto& s : c.results.texts("status")) ++by_status[s];
  out << "rows: " << c.results.rows() << " results (";
  bool first = true;
  for (const auto& [status, n] : by_status) {
    out << (first ? "" : ", ") << status << " " << n;
    first = false;
  }
  out << "), " << c.probes.rows() << " probes\n";
  if (!c.damaged.empty())
    out << "damaged: " << printable(describe_damaged_rows(c)) << "; a resume runs their configs again\n";
  if (!c.rows_checked) out << "checksums: none (the file was written before rows had them); rows are read unchecked\n";
  out << "runs:\n";
  for (const auto& r : c.runs) {
    const auto end = attribute(r, "end_time");
    out << "  " << attribute(r, "run") << ": " << attribute(r, "start_time") << " -> "
        << (end.empty() ? std::string("(no end recorded)") : end + " " + attribute(r, "exit_state")) << ", "
        << attribute(r, "ranks") << " ranks, commit " << attribute(r, "git_commit") << "\n";
  }
  return out.str();
}

}  // namespace infersweep::sweep
