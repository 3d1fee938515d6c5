#include "infersweep/analysis/pareto_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/io/json_writer.hpp"

namespace infersweep::analysis {

namespace {

const std::vector<std::string> kRequiredColumns{"config_id", "status",   "qps_per_dollar", "capacity_qps",
                                                "gpus",      "ttft_p90", "tbt_p99"};
const std::vector<std::string> kDescriptionColumns{"config_id",
                                                   "model",
                                                   "trace",
                                                   "device",
                                                   "node",
                                                   "tp",
                                                   "pp",
                                                   "replicas",
                                                   "gpus",
                                                   "scheduler_label",
                                                   "shape",
                                                   "pd_ratio",
                                                   "decode_device",
                                                   "decode_replicas",
                                                   "decode_tp",
                                                   "decode_pp",
                                                   "batch_size_cap",
                                                   "capacity_qps",
                                                   "qps_per_dollar",
                                                   "dollars_per_hour",
                                                   "price_per_gpu_hour",
                                                   "price_source",
                                                   "ttft_p90",
                                                   "tbt_p99"};

std::string column_list(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

void check_columns(const table::ColumnTable& results, const ParetoOptions& options) {
  for (const auto& name : kRequiredColumns)
    if (!results.has_column(name))
      throw InputError("the results table has no column '" + name + "' (a sweep file of another schema?)");
  std::vector<std::string> groupable;
  for (const auto& spec : results.schema())
    if (spec.kind == table::ColumnKind::text || spec.kind == table::ColumnKind::int64 ||
        spec.kind == table::ColumnKind::enumeration)
      groupable.push_back(spec.name);
  for (const auto& name : options.by) {
    if (std::find(groupable.begin(), groupable.end(), name) == groupable.end())
      throw InputError::setting("by", "'" + name +
                                          "' is not a text or integer column of the results (expected some of: " +
                                          column_list(groupable) + ")");
  }
}

ConfigCandidate candidate_of(const table::ColumnTable& t, size_t row) {
  ConfigCandidate c;
  c.config_id = t.text("config_id")[row];
  c.qps_per_dollar = t.float64("qps_per_dollar")[row];
  c.capacity_qps = t.float64("capacity_qps")[row];
  c.gpus = t.int64("gpus")[row];
  c.ttft_p90_s = t.float64("ttft_p90")[row];
  c.tbt_p99_s = t.float64("tbt_p99")[row];
  return c;
}

// Fills one front and the near-front roles for one latency metric.
template <typename Latency>
std::vector<size_t> assign_front(std::vector<AnalysedConfig>& configs, double tolerance,
                                 FrontRole AnalysedConfig::*role, Latency latency) {
  std::vector<TradeoffPoint> points;
  for (const auto& c : configs) points.push_back({c.candidate.qps_per_dollar, latency(c.candidate)});
  const auto front = pareto_front(points);
  for (size_t i : near_front(points, front, tolerance)) configs[i].*role = FrontRole::near;
  for (size_t i : front) configs[i].*role = FrontRole::on;
  return front;
}

ParetoGroup analyse_group(std::vector<table::Field> key, const std::vector<size_t>& rows,
                          const table::ColumnTable& results, const ParetoOptions& options) {
  ParetoGroup g;
  g.key = std::move(key);
  g.rows = static_cast<int64_t>(rows.size());
  // A text or an enumeration column: compared by its text either way.
  const size_t status = results.column_index("status");
  const bool has_caveats = results.has_column("capacity_caveat");
  for (size_t r : rows) {
    if (table::field_text(results.field(status, r)) != "ok") {
      ++g.not_ok;
      continue;
    }
    if (has_caveats && !options.include_caveats &&
        table::field_text(results.field(results.column_index("capacity_caveat"), r)) != "none") {
      ++g.with_caveat;
      continue;
    }
    AnalysedConfig c;
    c.row = r;
    c.candidate = candidate_of(results, r);
    c.meets_slos = meets_slos(c.candidate, options.slos);
    g.configs.push_back(std::move(c));
  }
  // By config id, so fronts, ties and listings never depend on the order ranks wrote rows in.
  std::stable_sort(g.configs.begin(), g.configs.end(), [](const AnalysedConfig& a, const AnalysedConfig& b) {
    return a.candidate.config_id < b.candidate.config_id;
  });
  std::vector<ConfigCandidate> candidates;
  for (const auto& c : g.configs) candidates.push_back(c.candidate);
  g.best = best_under_slos(candidates, options.slos);
  if (g.best) g.configs[*g.best].best = true;
  g.ttft_front = assign_front(g.configs, options.tolerance, &AnalysedConfig::ttft_front,
                              [](const ConfigCandidate& c) { return c.ttft_p90_s; });
  g.tbt_front = assign_front(g.configs, options.tolerance, &AnalysedConfig::tbt_front,
                             [](const ConfigCandidate& c) { return c.tbt_p99_s; });
  return g;
}

std::string key_text(const ParetoGroup& g) {
  std::string text;
  for (const auto& f : g.key) text += (text.empty() ? "" : " ") + f.name + "=" + table::field_text(f);
  if (text.empty()) text = "all configs";
  if (g.workloads_under_key > 1) text += " workload=" + g.workload_id;
  return text;
}

// Which runs of a sweep wrote a group's rows ("" for tables without a run column).
std::string runs_text(const table::ColumnTable& results, const std::vector<size_t>& rows) {
  if (!results.has_column("run") || rows.empty()) return "";
  const auto& run = results.int64("run");
  int64_t first = run[rows.front()], last = first;
  for (size_t r : rows) first = std::min(first, run[r]), last = std::max(last, run[r]);
  return first == last ? "run " + std::to_string(first) : "runs " + std::to_string(first) + "-" + std::to_string(last);
}

std::string shortest(double v, const char* unit) {
  char text[48];
  std::snprintf(text, sizeof text, "%g%s", v, unit);
  return text;
}

// Text of a column of the table, or "" when the table lacks it (hand-made tables).
std::string cell(const table::ColumnTable& t, const std::string& name, size_t row) {
  return t.has_column(name) ? table::field_text(t.field(t.column_index(name), row)) : std::string();
}

double number(const table::ColumnTable& t, const std::string& name, size_t row) {
  if (!t.has_column(name)) return std::nan("");
  const auto f = t.field(t.column_index(name), row);
  if (const auto* d = std::get_if<double>(&f.value)) return *d;
  if (const auto* i = std::get_if<int64_t>(&f.value)) return static_cast<double>(*i);
  return std::nan("");
}

// The price of each GPU of a group's configs, with where it came from, as the rows recorded
// them (QPS per dollar was computed from it); a GPU priced two ways has two entries.
struct GroupPrice {
  std::string device;
  double per_hour = 0;
  std::string source;
  bool operator<(const GroupPrice& o) const {
    return std::tie(device, per_hour, source) < std::tie(o.device, o.per_hour, o.source);
  }
};

std::vector<GroupPrice> group_prices(const ParetoGroup& g, const table::ColumnTable& results) {
  if (!results.has_column("device") || !results.has_column("price_per_gpu_hour")) return {};
  std::set<GroupPrice> prices;
  // A disaggregated row's decode pool may run on another GPU, priced in columns of its own.
  const bool decode_priced = results.has_column("decode_device") && results.has_column("decode_price_per_gpu_hour");
  for (const auto& c : g.configs) {
    prices.insert({cell(results, "device", c.row), number(results, "price_per_gpu_hour", c.row),
                   cell(results, "price_source", c.row)});
    if (decode_priced && !cell(results, "decode_device", c.row).empty())
      prices.insert({cell(results, "decode_device", c.row), number(results, "decode_price_per_gpu_hour", c.row),
                     cell(results, "decode_price_source", c.row)});
  }
  return {prices.begin(), prices.end()};
}

}  // namespace

const char* to_string(FrontRole role) {
  switch (role) {
    case FrontRole::on:
      return "on";
    case FrontRole::near:
      return "near";
    case FrontRole::none:
      break;
  }
  return "";
}

int64_t ParetoGroup::meeting_slos() const {
  return std::count_if(configs.begin(), configs.end(), [](const AnalysedConfig& c) { return c.meets_slos; });
}

std::vector<ParetoGroup> analyse_pareto(const table::ColumnTable& results, const ParetoOptions& options) {
  check_columns(results, options);
  std::vector<size_t> key_columns;
  for (const auto& name : options.by) key_columns.push_back(results.column_index(name));
  const bool has_workloads = results.has_column("workload_id");
  // std::variant orders values of one type naturally, so integer keys sort as numbers; the
  // workload id, last, splits a key whose rows measured different workloads.
  std::map<std::pair<std::vector<table::Field::Value>, std::string>, std::vector<size_t>> rows_by_key;
  for (size_t r = 0; r < results.rows(); ++r) {
    std::vector<table::Field::Value> key;
    for (size_t c : key_columns) key.push_back(results.field(c, r).value);
    rows_by_key[{key, has_workloads ? results.text("workload_id")[r] : std::string()}].push_back(r);
  }
  std::map<std::vector<table::Field::Value>, int64_t> workloads_per_key;
  for (const auto& entry : rows_by_key) ++workloads_per_key[entry.first.first];
  std::vector<ParetoGroup> groups;
  for (const auto& [values, rows] : rows_by_key) {
    std::vector<table::Field> key;
    for (size_t k = 0; k < values.first.size(); ++k) key.push_back({options.by[k], values.first[k]});
    groups.push_back(analyse_group(std::move(key), rows, results, options));
    groups.back().workload_id = values.second;
    groups.back().workloads_under_key = workloads_per_key[values.first];
    groups.back().runs = runs_text(results, rows);
  }
  return groups;
}

std::vector<size_t> listed_configs(const ParetoGroup& group, const ParetoOptions& options) {
  std::vector<size_t> listed;
  for (size_t i = 0; i < group.configs.size(); ++i)
    if (options.list_all || group.configs[i].notable()) listed.push_back(i);
  std::sort(listed.begin(), listed.end(),
            [&](size_t a, size_t b) { return ranks_above(group.configs[a].candidate, group.configs[b].candidate); });
  return listed;
}

std::vector<std::string> description_columns(const table::ColumnTable& results) {
  std::vector<std::string> names;
  for (const auto& name : kDescriptionColumns)
    if (results.has_column(name)) names.push_back(name);
  return names;
}

void print_pareto_table(const std::vector<ParetoGroup>& groups, const table::ColumnTable& results,
                        const ParetoOptions& options, std::ostream& out) {
  out << "SLOs: TTFT p90 <= " << shortest(options.slos.ttft_p90_s, " s")
      << ", TBT p99 <= " << shortest(options.slos.tbt_p99_s, " s")
      << "; fronts: QPS per dollar against TTFT p90 and against TBT p99"
      << "; near: within " << shortest(100 * options.tolerance, "%") << " of a front\n";
  if (groups.empty()) out << "\nno results yet\n";
  char line[400];
  for (const auto& g : groups) {
    out << "\n" << key_text(g) << ": " << g.configs.size() << " configs with a capacity";
    if (g.not_ok > 0) out << " (" << g.not_ok << " more skipped, failed or timed out)";
    if (g.with_caveat > 0)
      out << " (" << g.with_caveat << " more with a capacity caveat, left out: --include-caveats takes them in)";
    out << ", " << g.meeting_slos() << (g.meeting_slos() == 1 ? " meets" : " meet") << " the SLOs\n";
    if (g.workloads_under_key > 1)
      out << "note: " << g.workloads_under_key << " workloads share this key (trace content, request count or SLOs "
          << "differ; the grid changed between runs?), each analysed apart; this one's rows"
          << (g.runs.empty() ? "" : " come from " + g.runs) << "\n";
    for (const auto& p : group_prices(g, results))
      out << "price: " << p.device << " $" << format_double(p.per_hour) << " per GPU-hour ("
          << (p.source.empty() ? "source not recorded" : p.source) << ")\n";
    if (g.best) {
      const auto& b = g.configs[*g.best];
      std::snprintf(line, sizeof line,
                    "best under the SLOs: %s TP%s PP%s x%s %s batch %s: %.3f QPS for $%.2f/h = %.4f QPS/$ (%s)\n",
                    cell(results, "device", b.row).c_str(), cell(results, "tp", b.row).c_str(),
                    cell(results, "pp", b.row).c_str(), cell(results, "replicas", b.row).c_str(),
                    cell(results, "scheduler_label", b.row).c_str(), cell(results, "batch_size_cap", b.row).c_str(),
                    b.candidate.capacity_qps, number(results, "dollars_per_hour", b.row), b.candidate.qps_per_dollar,
                    b.candidate.config_id.c_str());
      out << line;
    } else {
      out << "best under the SLOs: none of these configs meets them\n";
    }
    const auto listed = listed_configs(g, options);
    if (listed.empty()) continue;
    out << (options.list_all ? "every config" : "on or near a front") << " (* best):\n";
    // Labels such as vllm_v1+apc/prefix_aware are longer than the column's usual 14 characters.
    int label_width = 14;
    for (size_t i : listed)
      label_width = std::min(
          120, std::max(label_width, static_cast<int>(cell(results, "scheduler_label", g.configs[i].row).size())));
    std::snprintf(line, sizeof line, "  %-6s %3s %3s %4s %-*s %5s %9s %8s %8s %9s %9s %4s %-5s %-5s  %s\n", "gpu", "tp",
                  "pp", "repl", label_width, "scheduler", "bsz", "capacity", "$/hour", "QPS/$", "ttft_p90", "tbt_p99",
                  "SLOs", "TTFT", "TBT", "config_id");
    out << line;
    for (size_t i : listed) {
      const auto& c = g.configs[i];
      std::snprintf(line, sizeof line, "%c %-6s %3s %3s %4s %-*s %5s %9.3f %8.2f %8.4f %9.3f %9.4f %4s %-5s %-5s  %s\n",
                    c.best ? '*' : ' ', cell(results, "device", c.row).c_str(), cell(results, "tp", c.row).c_str(),
                    cell(results, "pp", c.row).c_str(), cell(results, "replicas", c.row).c_str(), label_width,
                    cell(results, "scheduler_label", c.row).c_str(), cell(results, "batch_size_cap", c.row).c_str(),
                    c.candidate.capacity_qps, number(results, "dollars_per_hour", c.row), c.candidate.qps_per_dollar,
                    c.candidate.ttft_p90_s, c.candidate.tbt_p99_s, c.meets_slos ? "yes" : "no", to_string(c.ttft_front),
                    to_string(c.tbt_front), c.candidate.config_id.c_str());
      out << line;
    }
  }
}

void write_pareto_csv(const std::vector<ParetoGroup>& groups, const table::ColumnTable& results,
                      const ParetoOptions& options, std::ostream& out) {
  std::vector<std::string> header = options.by;
  for (const auto& name : description_columns(results))
    if (std::find(header.begin(), header.end(), name) == header.end()) header.push_back(name);
  const size_t described = header.size();
  for (const char* flag : {"meets_slos", "best", "ttft_p90_front", "tbt_p99_front"}) header.push_back(flag);
  for (size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << header[i];
  out << "\n";
  for (const auto& g : groups) {
    for (size_t i : listed_configs(g, options)) {
      const auto& c = g.configs[i];
      for (size_t k = 0; k < described; ++k) out << (k ? "," : "") << io::csv_quote(cell(results, header[k], c.row));
      out << "," << (c.meets_slos ? "true" : "false") << "," << (c.best ? "true" : "false") << ","
          << to_string(c.ttft_front) << "," << to_string(c.tbt_front) << "\n";
    }
  }
}

void write_pareto_json(const std::vector<ParetoGroup>& groups, const table::ColumnTable& results,
                       const ParetoOptions& options, const std::vector<table::Field>& header, std::ostream& out) {
  io::JsonWriter json(out);
  auto field = [&](const table::Field& f) { json.value(f.name, table::plain_value(f.value)); };
  auto ids = [&](const char* name, const ParetoGroup& g, const std::vector<size_t>& which) {
    json.begin_array(name);
    for (size_t i : which) json.value("", g.configs[i].candidate.config_id);
    json.end_array();
  };
  json.begin_object();
  for (const auto& f : header) field(f);
  json.begin_object("slos");
  json.value("ttft_p90_s", options.slos.ttft_p90_s);
  json.value("tbt_p99_s", options.slos.tbt_p99_s);
  json.end_object();
  json.value("tolerance", options.tolerance);
  json.begin_array("by");
  for (const auto& name : options.by) json.value("", name);
  json.end_array();
  const auto columns = description_columns(results);
  json.begin_array("groups");
  for (const auto& g : groups) {
    json.begin_object();
    json.begin_object("key");
    for (const auto& f : g.key) field(f);
    json.end_object();
    json.value("configs", g.rows);
    json.value("not_ok", g.not_ok);
    json.value("with_caveat", g.with_caveat);
    json.value("workload_id", g.workload_id);
    json.value("workloads_under_key", g.workloads_under_key);
    json.value("with_capacity", static_cast<int64_t>(g.configs.size()));
    json.value("meeting_slos", g.meeting_slos());
    if (g.best)
      json.value("best", g.configs[*g.best].candidate.config_id);
    else
      json.null("best");
    json.begin_array("prices");
    for (const auto& p : group_prices(g, results)) {
      json.begin_object();
      json.value("device", p.device);
      json.value("price_per_gpu_hour", p.per_hour);
      json.value("price_source", p.source);
      json.end_object();
    }
    json.end_array();
    ids("ttft_p90_front", g, g.ttft_front);
    ids("tbt_p99_front", g, g.tbt_front);
    std::vector<size_t> near_ttft, near_tbt;
    for (size_t i = 0; i < g.configs.size(); ++i) {
      if (g.configs[i].ttft_front != FrontRole::none) near_ttft.push_back(i);
      if (g.configs[i].tbt_front != FrontRole::none) near_tbt.push_back(i);
    }
    ids("near_ttft_p90_front", g, near_ttft);
    ids("near_tbt_p99_front", g, near_tbt);
    json.begin_array("listed");
    for (size_t i : listed_configs(g, options)) {
      const auto& c = g.configs[i];
      json.begin_object();
      for (const auto& name : columns) field(results.field(results.column_index(name), c.row));
      json.value("meets_slos", c.meets_slos);
      json.value("best", c.best);
      json.value("ttft_p90_front", to_string(c.ttft_front));
      json.value("tbt_p99_front", to_string(c.tbt_front));
      json.end_object();
    }
    json.end_array();
    json.end_object();
  }
  json.end_array();
  json.end_object();
  out << "\n";
}

}  // namespace infersweep::analysis
