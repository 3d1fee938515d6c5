#include "infersweep/sweep/resume_plan.hpp"

#include <map>
#include <set>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/sweep/sweep_schema.hpp"

namespace infersweep::sweep {

bool is_failure_status(const std::string& status) { return status == "failed" || status == "timeout"; }

void check_same_prices(const ResultsFileContents& existing, const std::vector<search::SearchUnit>& units,
                       const std::string& path) {
  const auto& r = existing.results;
  if (!r.has_column("device") || !r.has_column("price_per_gpu_hour")) return;
  // Each GPU's price this run, from whichever pool of a unit runs on it.
  std::map<std::string, std::pair<double, std::string>> this_run;
  for (const auto& u : units) {
    this_run.emplace(u.labels.device, std::pair{u.price_per_gpu_hour, u.price_source});
    if (u.labels.disaggregated)
      this_run.emplace(u.labels.decode_device, std::pair{u.decode_price_per_gpu_hour, u.decode_price_source});
  }
  const std::vector<std::string> no_texts(r.rows());
  const auto check = [&](const std::string& device_column, const std::string& price_column,
                         const std::string& source_column) {
    if (!r.has_column(device_column) || !r.has_column(price_column)) return;
    const auto& devices = r.text(device_column);
    const auto& prices = r.float64(price_column);
    const auto& sources = r.has_column(source_column) ? r.text(source_column) : no_texts;
    for (size_t i = 0; i < r.rows(); ++i) {
      const auto it = this_run.find(devices[i]);
      if (devices[i].empty() || it == this_run.end() || prices[i] == it->second.first) continue;
      throw InputError("cannot resume " + path + ": its rows price " + devices[i] + " at " + format_double(prices[i]) +
                       " $/GPU-hour (" + (sources[i].empty() ? "source not recorded" : sources[i]) + "), this run at " +
                       format_double(it->second.first) + " (" + it->second.second +
                       "); resume with the prices the file was started with, or sweep into a new file");
    }
  };
  check("device", "price_per_gpu_hour", "price_source");
  check("decode_device", "decode_price_per_gpu_hour", "decode_price_source");
}

ResumePlan plan_resume(const ResultsFileContents* existing, const std::vector<search::SearchUnit>& units,
                       bool retry_failed) {
  ResumePlan plan;
  plan.results = table::ColumnTable(results_schema());
  plan.probes = table::ColumnTable(probes_schema());
  std::map<std::string, std::string> status_of_done;
  if (existing) {
    plan.run = existing->progress.run + 1;
    plan.earlier_runs = existing->runs;
    const auto& r = existing->results;
    const auto& ids = r.text("config_id");
    const auto status = r.texts("status");  // an enum, or text in files of before
    const auto& runs = r.int64("run");
    std::map<std::string, size_t> last_row;
    for (size_t i = 0; i < r.rows(); ++i) last_row[ids[i]] = i;
    std::set<std::pair<std::string, int64_t>> kept;  // (config id, run) of carried-over rows
    // A config with a damaged probe row lost part of its record: it runs again, as one whose
    // result row is damaged (left out of `r` by the reader) does.
    std::set<std::string> damaged_probes;
    for (const auto& d : existing->damaged)
      if (d.table == "probes") damaged_probes.insert(d.config_id);
    for (size_t i = 0; i < r.rows(); ++i) {
      if (last_row[ids[i]] != i || damaged_probes.count(ids[i])) continue;
      if (retry_failed && is_failure_status(status[i])) {
        ++plan.retried;
        continue;
      }
      plan.results.append_from(r, i);
      kept.insert({ids[i], runs[i]});
      status_of_done[ids[i]] = status[i];
    }
    const auto& p = existing->probes;
    const auto& probe_ids = p.text("config_id");
    const auto& probe_runs = p.int64("run");
    for (size_t i = 0; i < p.rows(); ++i)
      if (kept.count({probe_ids[i], probe_runs[i]})) plan.probes.append_from(p, i);
  }
  for (size_t u = 0; u < units.size(); ++u) {
    const auto it = status_of_done.find(units[u].config_id);
    if (it != status_of_done.end()) {
      ++plan.grid_done;
      plan.grid_failed += is_failure_status(it->second) ? 1 : 0;
    } else if (units[u].runnable()) {
      plan.to_search.push_back(u);
    } else {
      plan.to_record_skipped.push_back(u);
    }
  }
  return plan;
}

}  // namespace infersweep::sweep
