#include "infersweep/search/grid_spec.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "infersweep/sim/global_scheduler.hpp"
#include "infersweep/sim/replica_scheduler.hpp"
#include "infersweep/workload/length_generator.hpp"
#include "infersweep/workload/request_generator.hpp"

namespace fs = std::filesystem;

namespace infersweep::search {

namespace {

// Typed access to YAML nodes; every error names the file, line and dotted key.
class GridReader {
 public:
  explicit GridReader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& field, const std::string& message) const {
    const int64_t line = node.IsDefined() ? node.Mark().line + 1 : 0;
    throw InputError::in_file(source_, line, field, message);
  }

  void expect_map(const YAML::Node& node, const std::string& field) const {
    if (!node.IsMap()) fail(node, field, "expected a mapping of keys to values");
  }

  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed, const std::string& field) const {
    expect_map(map, field);
    for (const auto& entry : map) {
      const auto key = entry.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(entry.first, join(field, key), "unknown key (expected one of: " + list + ")");
      }
    }
  }

  static std::string join(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }

  std::string scalar(const YAML::Node& node, const std::string& field) const {
    if (!node.IsScalar()) fail(node, field, "expected a single value");
    return node.Scalar();
  }

  // The value under `key`, or nullopt when it is absent or null (an error when required).
  std::optional<YAML::Node> present(const YAML::Node& map, const std::string& key, const std::string& parent,
                                    bool required) const {
    const auto node = map[key];
    if (node.IsDefined() && !node.IsNull()) return node;
    if (required) fail(map, join(parent, key), "missing (required)");
    return std::nullopt;
  }

  std::string text(const YAML::Node& map, const std::string& key, const std::string& parent, bool required,
                   const std::string& fallback = "") const {
    const auto node = present(map, key, parent, required);
    if (!node) return fallback;
    const auto value = scalar(*node, join(parent, key));
    if (value.empty()) fail(*node, join(parent, key), "must not be empty");
    return value;
  }

  int64_t integer(const YAML::Node& map, const std::string& key, const std::string& parent, bool required,
                  int64_t fallback, int64_t minimum) const {
    const auto node = present(map, key, parent, required);
    if (!node) return fallback;
    return to_integer(*node, join(parent, key), minimum);
  }

  int64_t to_integer(const YAML::Node& node, const std::string& field, int64_t minimum) const {
    const auto value = scalar(node, field);
    int64_t v = 0;
    try {
      v = parse_int64(value, "");
    } catch (const InputError&) {
      fail(node, field, "expected an integer, got '" + value + "'");
    }
    if (v < minimum) fail(node, field, "must be at least " + std::to_string(minimum) + ", got " + value);
    return v;
  }

  double number(const YAML::Node& map, const std::string& key, const std::string& parent, bool required,
                double fallback, double minimum) const {
    const auto node = present(map, key, parent, required);
    if (!node) return fallback;
    const auto value = scalar(*node, join(parent, key));
    double v = 0;
    try {
      v = parse_double(value, "");
    } catch (const InputError&) {
      fail(*node, join(parent, key), "expected a number, got '" + value + "'");
    }
    if (!(v >= minimum) || !std::isfinite(v))
      fail(*node, join(parent, key), "must be a finite number >= " + format_double(minimum) + ", got " + value);
    return v;
  }

  bool boolean(const YAML::Node& map, const std::string& key, const std::string& parent, bool fallback) const {
    const auto node = map[key];
    if (!node.IsDefined() || node.IsNull()) return fallback;
    const auto value = scalar(node, join(parent, key));
    if (value == "true" || value == "yes") return true;
    if (value == "false" || value == "no") return false;
    fail(node, join(parent, key), "expected true or false, got '" + value + "'");
  }

  std::vector<int64_t> integers(const YAML::Node& map, const std::string& key, const std::string& parent, bool required,
                                int64_t minimum) const {
    const auto node = map[key];
    if (!node.IsDefined() || node.IsNull()) {
      if (required) fail(map, join(parent, key), "missing (required): a list such as [1, 2]");
      return {};
    }
    if (!node.IsSequence()) fail(node, join(parent, key), "expected a list such as [1, 2]");
    std::vector<int64_t> out;
    for (const auto& item : node) {
      const auto v = to_integer(item, join(parent, key), minimum);
      if (std::find(out.begin(), out.end(), v) != out.end())
        fail(item, join(parent, key), "lists " + std::to_string(v) + " twice");
      out.push_back(v);
    }
    if (required && out.empty()) fail(node, join(parent, key), "must list at least one value");
    return out;
  }

  std::vector<std::string> texts(const YAML::Node& map, const std::string& key, const std::string& parent) const {
    const auto node = map[key];
    if (!node.IsDefined() || node.IsNull()) return {};
    if (!node.IsSequence()) fail(node, join(parent, key), "expected a list such as [a40]");
    std::vector<std::string> out;
    for (const auto& item : node) out.push_back(scalar(item, join(parent, key)));
    return out;
  }

  // Sets `target`'s settings from the keys of `map`, each key a setting's grid key; `allowed`
  // says which settings the section may set. Paths are resolved against `base_dir`.
  template <class S>
  void settings(const YAML::Node& map, const std::string& section, const config::SettingGroup<S>& group,
                const std::function<bool(const config::Setting<S>&)>& allowed, const std::string& base_dir, S& target,
                std::vector<std::pair<const config::Setting<S>*, std::string>>* given = nullptr,
                const std::vector<std::string>& caller_keys = {}) const {
    expect_map(map, section);
    std::vector<std::string> keys = caller_keys;
    for (const auto& s : group.settings())
      if (allowed(s)) keys.push_back(s.spec().grid_key);
    for (const auto& entry : map) {
      const auto key = entry.first.Scalar();
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        const auto* other = group.find(key);
        if (other && other->spec().grid_key == key && other->spec().applies_to)
          fail(entry.first, join(section, key), "applies to " + other->spec().applies_to() + " only");
        std::string list;
        for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
        fail(entry.first, join(section, key), "unknown key (expected one of: " + list + ")");
      }
    }
    for (const auto& s : group.settings()) {
      if (!allowed(s)) continue;
      const auto node = map[s.spec().grid_key];
      if (!node.IsDefined() || node.IsNull()) continue;
      const auto field = join(section, s.spec().grid_key);
      const bool list = s.spec().kind == config::Kind::text_list;
      // A list setting takes a YAML list or one comma-separated value; each entry of a list of
      // paths is resolved on its own.
      std::vector<std::string> items;
      if (list && node.IsSequence()) {
        for (const auto& item : node) items.push_back(scalar(item, field));
      } else if (list) {
        for (const auto& item : split(scalar(node, field), ',')) items.emplace_back(trim(item));
      } else {
        items.push_back(scalar(node, field));
      }
      std::string value;
      for (auto& item : items) {
        if (s.spec().is_path && !item.empty() && item != "none" && fs::path(item).is_relative())
          item = (fs::path(base_dir) / item).lexically_normal().string();
        value += (value.empty() ? "" : ",") + item;
      }
      try {
        s.assign(target, value);
      } catch (const InputError& e) {
        fail(node, field, e.message());
      }
      if (given) given->emplace_back(&s, value);
    }
  }

  // yaml-cpp keeps every entry of a mapping but its lookups see only the first of a repeated
  // key, so a repeated key would silently drop the later value: reject it at every level.
  void reject_repeated_keys(const YAML::Node& root) const {
    std::vector<std::pair<YAML::Node, std::string>> pending{{root, ""}};  // a stack, not recursion: no depth limit
    // An alias shares its anchor's node: each node is checked once, by where it starts, or
    // nested aliases would make this walk exponential.
    std::set<std::pair<int, int>> checked;
    while (!pending.empty()) {
      const auto [node, field] = pending.back();
      pending.pop_back();
      if ((node.IsSequence() || node.IsMap()) &&
          !checked.emplace(node.Mark().pos, static_cast<int>(node.Type())).second)
        continue;
      if (node.IsSequence()) {
        for (const auto& item : node) pending.emplace_back(item, field);
      } else if (node.IsMap()) {
        std::map<std::string, int64_t> first_line;
        for (const auto& entry : node) {
          if (!entry.first.IsScalar()) fail(entry.first, field, "expected a plain key");
          const auto key = entry.first.Scalar();
          const int64_t line = entry.first.Mark().line + 1;
          if (const auto [it, fresh] = first_line.emplace(key, line); !fresh)
            fail(entry.first, join(field, key),
                 "repeated key (first given on line " + std::to_string(it->second) + ")");
          pending.emplace_back(entry.second, join(field, key));
        }
      }
    }
  }

  // The entries of a required (or, with `required` false, optional), non-empty list of mappings.
  std::vector<YAML::Node> entries(const YAML::Node& root, const std::string& key, bool required = true) const {
    const auto node = root[key];
    if ((!node.IsDefined() || node.IsNull()) && !required) return {};
    if (!node.IsDefined() || node.IsNull()) fail(root, key, "missing (required): a list of entries");
    if (!node.IsSequence() || node.size() == 0) fail(node, key, "expected a non-empty list of entries");
    std::vector<YAML::Node> out;
    for (const auto& item : node) out.push_back(item);
    return out;
  }

 private:
  std::string source_;
};

// Where a YAML document starts, by the parser's events (nothing else is kept).
class DocumentStart : public YAML::EventHandler {
 public:
  int64_t line = 0;  // 1-based; 0 when no document started
  void OnDocumentStart(const YAML::Mark& mark) override { line = mark.line + 1; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// The line where a second document starts, 0 if there is none. The parser is asked for two
// documents at most: yaml-cpp's LoadAll can loop forever on malformed input (",,,a:\n -").
int64_t second_document_line(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStart first, second;
  if (!parser.HandleNextDocument(first) || !parser.HandleNextDocument(second)) return 0;
  return std::max<int64_t>(second.line, 1);
}

std::string resolve_file(const std::string& file, const std::string& base_dir, const std::string& trace_dir) {
  const fs::path p(file);
  if (p.is_absolute()) return file;
  for (const auto& dir : {base_dir, trace_dir}) {
    if (dir.empty()) continue;
    const auto candidate = fs::path(dir) / p;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate.lexically_normal().string();
  }
  return file;
}

template <class T>
void require_unique(const GridReader& r, const std::vector<YAML::Node>& nodes, const std::vector<T>& items,
                    const std::string& list_name) {
  std::set<std::string> seen;
  for (size_t i = 0; i < items.size(); ++i)
    if (!seen.insert(items[i]).second)
      r.fail(nodes[i], list_name, "'" + items[i] + "' appears twice; each entry needs its own name");
}

// `prices:` maps a GPU to its price per GPU-hour, or to a mapping with price_per_hour and
// optionally source and date.
std::vector<spec::PriceEntry> read_prices(const GridReader& r, const YAML::Node& map, const std::string& source) {
  r.expect_map(map, "prices");
  const auto name = fs::path(source).filename().string();
  std::vector<spec::PriceEntry> prices;
  for (const auto& item : map) {
    spec::PriceEntry e;
    e.gpu = item.first.Scalar();
    e.file = source;
    e.line = item.first.Mark().line + 1;
    const auto field = "prices." + e.gpu;
    e.field = field;
    std::string stated;
    if (item.second.IsMap()) {
      r.check_keys(item.second, {"price_per_hour", "source", "date"}, field);
      e.price.per_hour = r.number(item.second, "price_per_hour", field, true, 0, 0);
      if (!(e.price.per_hour > 0))
        r.fail(item.second["price_per_hour"], field + ".price_per_hour", "must be positive (USD per GPU-hour)");
      stated = spec::describe_price_origin(r.text(item.second, "source", field, false),
                                           r.text(item.second, "date", field, false));
    } else {
      const auto value = r.scalar(item.second, field);
      try {
        e.price.per_hour = parse_double(value, "");
      } catch (const InputError&) {
        e.price.per_hour = 0;
      }
      if (!(e.price.per_hour > 0))
        r.fail(item.second, field,
               "expected a positive price in USD per GPU-hour, or a mapping with price_per_hour, source and date; "
               "got '" +
                   value + "'");
    }
    e.price.source =
        "grid " + name + ":" + std::to_string(e.line) + ": " + field + (stated.empty() ? "" : ": " + stated);
    prices.push_back(std::move(e));
  }
  return prices;
}

// The grid's routers: one name or a list of names (an axis of the product).
std::vector<std::string> read_global_schedulers(const GridReader& r, const YAML::Node& root) {
  const auto node = root["global_scheduler"];
  if (!node.IsDefined() || node.IsNull()) return {"round_robin"};
  std::vector<std::string> names = node.IsSequence()
                                       ? r.texts(root, "global_scheduler", "")
                                       : std::vector<std::string>{r.text(root, "global_scheduler", "", true)};
  if (names.empty()) r.fail(node, "global_scheduler", "must list at least one router");
  const auto& routers = sim::builtin_global_schedulers();
  for (size_t i = 0; i < names.size(); ++i) {
    const auto& item = node.IsSequence() ? node[i] : node;
    if (!routers.contains(names[i]))
      r.fail(item, "global_scheduler",
             "unknown global scheduler '" + names[i] + "' (expected one of: " + routers.names_joined() + ")");
    if (std::count(names.begin(), names.end(), names[i]) > 1)
      r.fail(item, "global_scheduler", "lists '" + names[i] + "' twice");
  }
  return names;
}

// The settings a grid decides for every workload itself (count, cap, seed, Poisson arrivals
// at the probed rate), which a trace entry may not set; `trace_file` is the entry's own key.
bool grid_owned_workload_setting(const std::string& name) {
  static const char* const owned[] = {"request-generator",   "num-requests",       "duration",  "seed",
                                      "max-tokens",          "interval-generator", "qps",       "gamma-cv",
                                      "interval-trace-file", "time-scale",         "trace-file"};
  return std::find(std::begin(owned), std::end(owned), name) != std::end(owned);
}

// A trace entry's request generator and its workload settings. Only generators that draw
// arrivals from the interval generator can be probed at a rate, so only those are allowed.
void read_trace_generator(const GridReader& r, const YAML::Node& n, const std::string& base_dir, GridTrace& t) {
  const std::vector<std::string> own_keys = {"name",         "trace_file", "max_seq_len",
                                             "num_requests", "start_qps",  "request_generator"};
  const auto& generators = workload::builtin_request_generators();
  if (!t.generator.empty()) {
    if (!generators.contains(t.generator))
      r.fail(n["request_generator"], "traces.request_generator",
             "unknown request generator '" + t.generator + "' (expected one of: " + generators.names_joined() + ")");
    const auto& reads = generators.traits("request-generator", t.generator).settings;
    if (std::find(reads.begin(), reads.end(), "interval-generator") == reads.end())
      r.fail(n["request_generator"], "traces.request_generator",
             t.generator + " replays its own arrival times, so it cannot be probed at a rate");
  }
  workload::WorkloadConfig values;
  values.generator = t.generator.empty() ? "synthetic" : t.generator;
  const bool generic = !t.generator.empty();
  r.settings<workload::WorkloadConfig>(
      n, "traces", workload::workload_settings(),
      [&](const auto& setting) { return generic && !grid_owned_workload_setting(setting.name()); }, base_dir, values,
      &t.settings, own_keys);
}

// "p:d" with two positive integers.
PdRatio read_pd_ratio(const GridReader& r, const YAML::Node& item, const std::string& field) {
  const auto text = r.scalar(item, field);
  const auto parts = split(text, ':');
  PdRatio ratio;
  bool ok = parts.size() == 2;
  if (ok) {
    try {
      ratio.prefill = parse_int64(trim(parts[0]), "");
      ratio.decode = parse_int64(trim(parts[1]), "");
    } catch (const InputError&) {
      ok = false;
    }
  }
  if (!ok || ratio.prefill < 1 || ratio.decode < 1)
    r.fail(item, field,
           "expected a prefill:decode replica ratio of positive integers such as \"1:2\", got '" + text + "'");
  return ratio;
}

std::vector<PdRatio> read_pd_ratios(const GridReader& r, const YAML::Node& entry) {
  const std::string field = "disaggregated.pd_ratios";
  const auto node = entry["pd_ratios"];
  if (!node.IsDefined() || node.IsNull()) r.fail(entry, field, "missing (required): a list such as [\"1:1\", \"1:2\"]");
  if (!node.IsSequence() || node.size() == 0)
    r.fail(node, field, "expected a non-empty list such as [\"1:1\", \"1:2\"]");
  std::vector<PdRatio> out;
  for (const auto& item : node) {
    const auto ratio = read_pd_ratio(r, item, field);
    for (const auto& earlier : out)
      if (earlier.prefill == ratio.prefill && earlier.decode == ratio.decode)
        r.fail(item, field, "lists " + ratio.text() + " twice");
    out.push_back(ratio);
  }
  return out;
}

// A `disaggregated:` entry. Its pools' replica counts, TP and PP are axes of its own; every
// other Disaggregation setting is a key of the entry (its grid key), set once for all its configs.
GridDisaggregated read_disaggregated(const GridReader& r, const YAML::Node& n, const std::string& base_dir) {
  const std::string section = "disaggregated";
  const std::vector<std::string> own_keys = {"device",     "node",       "num_gpus",  "pd_ratios",
                                             "prefill_tp", "prefill_pp", "decode_tp", "decode_pp"};
  GridDisaggregated d;
  const auto axis = [](const std::string& name) {
    return name == "decode-replicas" || name == "decode-tp" || name == "decode-pp";
  };
  r.settings<sim::DisaggregationConfig>(
      n, section, sim::disaggregation_settings(), [&](const auto& setting) { return !axis(setting.name()); }, base_dir,
      d.values, &d.settings, own_keys);
  d.device = r.text(n, "device", section, true);
  d.node = r.text(n, "node", section, false, d.device + "_pairwise_nvlink");
  d.num_gpus = r.integer(n, "num_gpus", section, true, 0, 1);
  d.pd_ratios = read_pd_ratios(r, n);
  d.prefill_tp = r.integers(n, "prefill_tp", section, true, 1);
  d.prefill_pp = r.integers(n, "prefill_pp", section, false, 1);
  if (d.prefill_pp.empty()) d.prefill_pp = {1};
  d.decode_tp = r.integers(n, "decode_tp", section, true, 1);
  d.decode_pp = r.integers(n, "decode_pp", section, false, 1);
  if (d.decode_pp.empty()) d.decode_pp = {1};
  // Plug-in names are checked here, with the entry's line, rather than as a skip of every config.
  const auto& routers = sim::builtin_global_schedulers();
  if (!routers.contains(d.values.decode_router))
    r.fail(
        n["decode_router"], section + ".decode_router",
        "unknown global scheduler '" + d.values.decode_router + "' (expected one of: " + routers.names_joined() + ")");
  const auto& schedulers = sim::builtin_replica_schedulers();
  if (const auto& name = d.values.decode_scheduler; !name.empty()) {
    if (!schedulers.contains(name) || !schedulers.traits("scheduler", name).takes_prefilled) {
      std::string able;
      for (const auto& candidate : schedulers.names())
        if (schedulers.traits("scheduler", candidate).takes_prefilled) able += (able.empty() ? "" : ", ") + candidate;
      r.fail(n["decode_scheduler"], section + ".decode_scheduler",
             "'" + name + "' cannot take prefilled requests (expected one of: " + able + ")");
    }
  }
  d.line = n.Mark().line + 1;
  return d;
}

}  // namespace

bool GridScheduler::sets(const std::string& name) const {
  return std::any_of(settings.begin(), settings.end(), [&](const auto& s) { return s.first->name() == name; });
}

std::string GridScheduler::label() const {
  return chunk_size() > 0 ? scheduler + "_cs" + std::to_string(chunk_size()) : scheduler;
}

std::string default_trace_dir() {
  if (const char* d = std::getenv("INFERSWEEP_TRACE_DIR"); d && *d) return d;
  return INFERSWEEP_DEFAULT_TRACE_DIR;
}

GridSpec parse_grid_text(const std::string& text, const std::string& source, const std::string& base_dir,
                         const GridPaths& paths) {
  GridReader r(source);
  YAML::Node root;
  int64_t second_document = 0;
  try {
    root = YAML::Load(text);
    second_document = second_document_line(text);
  } catch (const YAML::Exception& e) {
    throw InputError::in_file(source, e.mark.line + 1, "yaml", e.msg);
  }
  // YAML::Load reads the first document only: a later one would be ignored.
  if (second_document > 0)
    throw InputError::in_file(source, second_document, "yaml",
                              "a second YAML document; a grid file holds one document");
  r.reject_repeated_keys(root);
  if (!root.IsMap()) throw InputError::in_file(source, 0, "grid", "expected a YAML mapping with models, traces, ...");
  r.check_keys(root,
               {"models", "traces", "clusters", "schedulers", "tp_dimensions", "pp_dimensions", "batch_sizes",
                "global_scheduler", "search", "predictor", "seed", "trace_dir", "prices", "disaggregated"},
               "");
  GridSpec g;
  g.path = source;
  g.text = text;
  const std::string trace_dir =
      paths.trace_dir.empty() ? r.text(root, "trace_dir", "", false, default_trace_dir()) : paths.trace_dir;
  std::string resolved_trace_dir = trace_dir;
  if (std::error_code ec; fs::path(trace_dir).is_relative() && fs::is_directory(fs::path(base_dir) / trace_dir, ec))
    resolved_trace_dir = (fs::path(base_dir) / trace_dir).lexically_normal().string();

  std::vector<YAML::Node> nodes = r.entries(root, "models");
  std::vector<std::string> names;
  for (const auto& n : nodes) {
    r.check_keys(n, {"name", "identifier", "exclude_tp_dims", "exclude_pp_dims", "exclude_devices"}, "models");
    GridModel m;
    m.identifier = r.text(n, "identifier", "models", true);
    m.name = r.text(n, "name", "models", false, m.identifier.substr(m.identifier.find('/') + 1));
    m.exclude_tp = r.integers(n, "exclude_tp_dims", "models", false, 1);
    m.exclude_pp = r.integers(n, "exclude_pp_dims", "models", false, 1);
    m.exclude_devices = r.texts(n, "exclude_devices", "models");
    m.line = n.Mark().line + 1;
    names.push_back(m.name);
    g.models.push_back(std::move(m));
  }
  require_unique(r, nodes, names, "models.name");

  nodes = r.entries(root, "traces");
  names.clear();
  for (const auto& n : nodes) {
    r.expect_map(n, "traces");
    GridTrace t;
    t.name = r.text(n, "name", "traces", true);
    t.generator = r.text(n, "request_generator", "traces", false, "");
    read_trace_generator(r, n, base_dir, t);
    const auto file = r.text(n, "trace_file", "traces", t.generator.empty());
    if (!file.empty()) {
      t.trace_file = resolve_file(file, base_dir, resolved_trace_dir);
      std::error_code ec;
      if (fs::is_directory(t.trace_file, ec))
        r.fail(n["trace_file"], "traces.trace_file", "'" + t.trace_file + "' is a directory, expected a trace file");
      if (!fs::is_regular_file(t.trace_file, ec))
        r.fail(n["trace_file"], "traces.trace_file",
               "'" + file + "' not found (looked next to the grid file and in the trace directory '" +
                   resolved_trace_dir + "'; set trace_dir, --trace-dir or $INFERSWEEP_TRACE_DIR)");
      // Its content is checked now, not when the first config of the grid runs it.
      workload::read_length_trace(t.trace_file);
    }
    t.max_seq_len = r.integer(n, "max_seq_len", "traces", false, 4096, 2);
    t.num_requests = r.integer(n, "num_requests", "traces", false, 16000, 1);
    t.start_qps = r.number(n, "start_qps", "traces", true, 1, 0);
    if (!(t.start_qps > 0)) r.fail(n["start_qps"], "traces.start_qps", "must be positive");
    t.line = n.Mark().line + 1;
    names.push_back(t.name);
    g.traces.push_back(std::move(t));
  }
  require_unique(r, nodes, names, "traces.name");

  // A grid needs deployments: co-located clusters, disaggregated entries or both.
  const auto disaggregated = root["disaggregated"];
  const bool has_disaggregated = disaggregated.IsDefined() && !disaggregated.IsNull();
  nodes = r.entries(root, "clusters", !has_disaggregated);
  for (const auto& n : nodes) {
    r.check_keys(n, {"device", "node", "num_gpus", "gpus_per_node"}, "clusters");
    GridCluster c;
    c.device = r.text(n, "device", "clusters", true);
    c.node = r.text(n, "node", "clusters", false, c.device + "_pairwise_nvlink");
    c.num_gpus = r.integer(n, "num_gpus", "clusters", true, 0, 1);
    c.gpus_per_node = r.integer(n, "gpus_per_node", "clusters", false, 0, 1);
    c.line = n.Mark().line + 1;
    g.clusters.push_back(std::move(c));
  }

  for (const auto& n : r.entries(root, "disaggregated", false))
    g.disaggregated.push_back(read_disaggregated(r, n, base_dir));

  nodes = r.entries(root, "schedulers");
  names.clear();
  const auto& schedulers = sim::builtin_replica_schedulers();
  for (const auto& n : nodes) {
    r.expect_map(n, "schedulers");
    GridScheduler s;
    s.scheduler = r.text(n, "scheduler", "schedulers", true);
    if (!schedulers.contains(s.scheduler))
      r.fail(n["scheduler"], "schedulers.scheduler",
             "unknown scheduler '" + s.scheduler + "' (expected one of: " + schedulers.names_joined() + ")");
    const auto& traits = schedulers.traits("scheduler", s.scheduler);
    auto reads = [](const std::vector<std::string>& names, const std::string& name) {
      return std::find(names.begin(), names.end(), name) != names.end();
    };
    r.settings<sim::SchedulerConfig>(n, "schedulers", sim::scheduler_settings(),
                                     [&](const auto& setting) { return reads(traits.settings, setting.name()); },
                                     base_dir, s.values, &s.settings, {"scheduler"});
    for (const auto& required : traits.grid_requires)
      if (!s.sets(required))
        r.fail(n, "schedulers." + sim::scheduler_settings().at(required).spec().grid_key,
               "missing (required for " + s.scheduler + ")");
    s.line = n.Mark().line + 1;
    std::string name = s.scheduler;
    for (const auto& [setting, value] : s.settings) name += " " + setting->spec().grid_key + "=" + value;
    names.push_back(name);
    g.schedulers.push_back(std::move(s));
  }
  require_unique(r, nodes, names, "schedulers");

  g.tp_dimensions = r.integers(root, "tp_dimensions", "", true, 1);
  g.pp_dimensions = r.integers(root, "pp_dimensions", "", true, 1);
  g.batch_sizes = r.integers(root, "batch_sizes", "", true, 1);
  g.global_schedulers = read_global_schedulers(r, root);
  g.seed = static_cast<uint64_t>(r.integer(root, "seed", "", false, 42, 0));
  if (const auto p = root["prices"]; p.IsDefined() && !p.IsNull()) g.prices = read_prices(r, p, source);

  auto every = [](const auto&) { return true; };
  if (const auto s = root["search"]; s.IsDefined() && !s.IsNull())
    r.settings<SearchSettings>(s, "search", search_settings(), every, base_dir, g.search);
  if (const auto p = root["predictor"]; p.IsDefined() && !p.IsNull()) {
    r.settings<predict::PredictorConfig>(p, "predictor", predict::predictor_settings(), every, base_dir, g.predictor);
    const auto& models = predict::builtin_operator_time_models();
    if (!models.contains(g.predictor.name))
      r.fail(p["name"], "predictor.name",
             "unknown predictor '" + g.predictor.name + "' (expected one of: " + models.names_joined() + ")");
  }
  return g;
}

GridSpec read_grid_file(const std::string& path, const GridPaths& paths) {
  if (std::error_code ec; fs::is_directory(path, ec))
    throw InputError::setting("grid", "'" + path + "' is a directory, expected a grid file");
  const auto bytes = io::try_read_file_bytes(path);
  if (!bytes) throw InputError::setting("grid", "cannot read '" + path + "'");
  const auto base = fs::path(path).parent_path().string();
  return parse_grid_text(*bytes, path, base.empty() ? "." : base, paths);
}

}  // namespace infersweep::search
