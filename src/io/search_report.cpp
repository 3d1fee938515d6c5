#include "infersweep/io/search_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/common/version.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "infersweep/io/json_writer.hpp"
#include "infersweep/search/result_row.hpp"

namespace fs = std::filesystem;

namespace infersweep::io {

namespace {

// The header comes from the table's declaration, so a file with no rows still names its columns.
void write_csv_rows(const table::Schema& columns, const std::vector<std::vector<table::Field>>& rows,
                    std::ostream& out) {
  for (size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << columns[i].name;
  out << "\n";
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << csv_quote(table::field_text(row[i]));
    out << "\n";
  }
}

void write_json_fields(JsonWriter& json, const std::vector<table::Field>& fields) {
  for (const auto& f : fields) json.value(f.name, table::plain_value(f.value));
}

// Each column's name, kind, units, description and (for an enumeration) names, so that a
// reader of capacity.csv types its cells as the declaration does.
void write_json_columns(JsonWriter& json, const std::string& key, const table::Schema& columns) {
  json.begin_array(key);
  for (const auto& spec : columns) {
    json.begin_object();
    json.value("name", spec.name);
    json.value("kind", table::to_string(spec.kind));
    json.value("units", spec.units);
    json.value("description", spec.description);
    if (!spec.labels.empty()) {
      json.begin_array("labels");
      for (const auto& label : spec.labels) json.value("", label);
      json.end_array();
    }
    json.end_object();
  }
  json.end_array();
}

}  // namespace

void write_capacity_csv(const std::vector<search::SearchUnit>& units, const std::vector<search::ConfigResult>& results,
                        std::ostream& out) {
  std::vector<std::vector<table::Field>> rows;
  for (size_t i = 0; i < units.size(); ++i) rows.push_back(search::result_fields(units[i], results[i]));
  write_csv_rows(search::result_columns(), rows, out);
}

void write_probes_csv(const std::vector<search::SearchUnit>& units, const std::vector<search::ConfigResult>& results,
                      std::ostream& out) {
  std::vector<std::vector<table::Field>> rows;
  for (size_t i = 0; i < units.size(); ++i)
    for (size_t k = 0; k < results[i].outcome.probes.size(); ++k)
      rows.push_back(search::probe_fields(units[i], static_cast<int64_t>(k), results[i].outcome.probes[k]));
  write_csv_rows(search::probe_columns(), rows, out);
}

void write_capacity_json(const search::GridSpec& grid, const std::vector<search::SearchUnit>& units,
                         const std::vector<search::ConfigResult>& results, std::ostream& out) {
  JsonWriter json(out);
  json.begin_object();
  json.value("engine_version", engine_version());
  json.value("grid_file", grid.path);
  json.value("seed", static_cast<int64_t>(grid.seed));
  json.value("predictor", grid.predictor.name);
  json.begin_object("search");
  const auto& s = grid.search;
  json.value("scheduling_delay_quantile", s.slo.scheduling_delay_quantile);
  json.value("scheduling_delay_slo_s", s.slo.scheduling_delay_max_s);
  json.value("ttft_p90_slo_s", s.slo.ttft_p90_max_s > 0 ? s.slo.ttft_p90_max_s : std::nan(""));
  json.value("tbt_p99_slo_s", s.slo.tbt_p99_max_s > 0 ? s.slo.tbt_p99_max_s : std::nan(""));
  json.value("granularity_percent", s.granularity_percent);
  json.value("max_iterations", s.max_iterations);
  json.value("probe_time_limit_s", s.time_limit_s);
  json.value("early_stop", s.early_stop);
  json.end_object();
  json.begin_object("columns");
  write_json_columns(json, "results", search::result_columns());
  write_json_columns(json, "probes", search::probe_columns());
  json.end_object();
  json.begin_array("results");
  for (size_t i = 0; i < units.size(); ++i) {
    json.begin_object();
    write_json_fields(json, search::result_fields(units[i], results[i]));
    json.begin_array("probes");
    for (size_t k = 0; k < results[i].outcome.probes.size(); ++k) {
      json.begin_object();
      auto fields = search::probe_fields(units[i], static_cast<int64_t>(k), results[i].outcome.probes[k]);
      fields.erase(fields.begin(), fields.begin() + 2);  // index and config_id are the parent's
      write_json_fields(json, fields);
      json.end_object();
    }
    json.end_array();
    json.end_object();
  }
  json.end_array();
  json.end_object();
  out << "\n";
}

std::string write_search_outputs(const search::GridSpec& grid, const std::vector<search::SearchUnit>& units,
                                 const std::vector<search::ConfigResult>& results, const std::string& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) throw InputError::setting("output-dir", "cannot create '" + directory + "': " + ec.message());
  std::string written;
  auto emit = [&](const char* name, auto writer) {
    std::ostringstream text;
    writer(text);
    const auto path = fs::path(directory) / name;
    write_file_atomically(path.string(), text.str());
    written += path.string() + "\n";
  };
  emit("capacity.csv", [&](std::ostream& o) { write_capacity_csv(units, results, o); });
  emit("probes.csv", [&](std::ostream& o) { write_probes_csv(units, results, o); });
  emit("capacity.json", [&](std::ostream& o) { write_capacity_json(grid, units, results, o); });
  return written;
}

void print_search_table(const std::vector<search::SearchUnit>& units, const std::vector<search::ConfigResult>& results,
                        std::ostream& out, int top) {
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> groups;
  int64_t skipped = 0, failed = 0, ok = 0;
  std::map<std::pair<std::string, std::string>, int64_t> with_caveat;
  for (size_t i = 0; i < units.size(); ++i) {
    const auto& r = results[i];
    if (r.status == search::ConfigStatus::skipped) ++skipped;
    if (r.status == search::ConfigStatus::failed) ++failed;
    if (r.status != search::ConfigStatus::ok) continue;
    ++ok;
    // A capacity with a caveat is no candidate for "best" (search::CapacityCaveat).
    if (r.outcome.caveat != search::CapacityCaveat::none)
      ++with_caveat[{units[i].labels.model, units[i].labels.trace}];
    else
      groups[{units[i].labels.model, units[i].labels.trace}].push_back(i);
  }
  char line[320];
  for (auto& [key, rows] : groups) {
    // Best QPS per dollar first; ties by index, so the order is stable.
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
      return results[a].cost.qps_per_dollar > results[b].cost.qps_per_dollar;
    });
    out << "\n"
        << key.first << " on " << key.second << ": best " << std::min<size_t>(rows.size(), static_cast<size_t>(top))
        << " of " << rows.size() << " configs by QPS per dollar";
    if (const auto caveats = with_caveat[key]; caveats > 0)
      out << " (" << caveats << " more with a capacity caveat left out: see capacity_caveat)";
    out << "\n";
    // Disaggregated labels (sarathi_cs512 P2:D1 tp4/tp8) are longer than the usual 14 characters.
    int label_width = 14;
    for (size_t k = 0; k < rows.size() && k < static_cast<size_t>(top); ++k)
      label_width = std::min(120, std::max(label_width, static_cast<int>(units[rows[k]].labels.scheduler.size())));
    std::snprintf(line, sizeof line, "  %-6s %3s %3s %4s %-*s %5s %9s %8s %8s %9s %9s %6s  %s\n", "gpu", "tp", "pp",
                  "repl", label_width, "scheduler", "bsz", "capacity", "$/hour", "QPS/$", "ttft_p90", "tbt_p99", "mfu%",
                  "config_id");
    out << line;
    for (size_t k = 0; k < rows.size() && k < static_cast<size_t>(top); ++k) {
      const auto& u = units[rows[k]];
      const auto& r = results[rows[k]];
      const auto* p = r.at_capacity();
      std::snprintf(line, sizeof line, "  %-6s %3lld %3lld %4lld %-*s %5lld %9.3f %8.2f %8.4f %9.3f %9.4f %6.1f  %s\n",
                    u.labels.device.c_str(), static_cast<long long>(u.labels.tp), static_cast<long long>(u.labels.pp),
                    static_cast<long long>(u.labels.replicas), label_width, u.labels.scheduler.c_str(),
                    static_cast<long long>(u.labels.batch_size_cap), r.outcome.capacity_qps, r.cost.dollars_per_hour,
                    r.cost.qps_per_dollar, p ? p->ttft_p90 : std::nan(""), p ? p->tbt_p99 : std::nan(""),
                    p ? p->mfu_mean_percent : std::nan(""), u.config_id.c_str());
      out << line;
    }
  }
  for (const auto& [key, caveats] : with_caveat)
    if (!groups.count(key))
      out << "\n"
          << key.first << " on " << key.second << ": every capacity (" << caveats
          << ") has a caveat (see capacity_caveat in capacity.csv)\n";
  // What each GPU was priced at, and why: QPS per dollar means nothing without it.
  std::map<std::string, std::pair<double, std::string>> prices;
  for (const auto& u : units) {
    prices.emplace(u.labels.device, std::make_pair(u.price_per_gpu_hour, u.price_source));
    if (u.labels.disaggregated)
      prices.emplace(u.labels.decode_device, std::make_pair(u.decode_price_per_gpu_hour, u.decode_price_source));
  }
  if (!prices.empty()) out << "\nprices per GPU-hour:\n";
  for (const auto& [device, price] : prices) {
    std::snprintf(line, sizeof line, "  %-6s %8s $/h  ", device.c_str(), format_double(price.first).c_str());
    out << line << price.second << "\n";
  }
  out << "\n"
      << units.size() << " configs: " << ok << " searched, " << skipped << " skipped, " << failed << " failed\n";
}

}  // namespace infersweep::io
