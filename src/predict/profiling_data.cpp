#include "infersweep/predict/profiling_data.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_table.hpp"

namespace infersweep::predict {

namespace {

// One equality condition on a column. Numbers compare by value, so "32" matches "32.0";
// booleans compare case-insensitively, so pandas' "True" matches true.
struct Condition {
  std::string column;
  std::string expected;
  enum class Kind { number, boolean, text } kind = Kind::number;
  double number = 0;  // the expected value of a number or boolean condition
};

Condition number(const std::string& column, int64_t value) {
  return {column, std::to_string(value), Condition::Kind::number, static_cast<double>(value)};
}
Condition boolean(const std::string& column, bool value) {
  return {column, value ? "true" : "false", Condition::Kind::boolean, value ? 1.0 : 0.0};
}
Condition text(const std::string& column, const std::string& value) { return {column, value, Condition::Kind::text}; }

std::string describe(const std::vector<Condition>& conditions) {
  std::string out;
  for (const auto& c : conditions) out += (out.empty() ? "" : ", ") + c.column + " == " + c.expected;
  return out;
}

bool matches(const io::CsvTable& table, size_t row, size_t column, const Condition& c) {
  switch (c.kind) {
    case Condition::Kind::number:
      return table.as_double(row, column) == c.number;
    case Condition::Kind::boolean:
      return read_bool_cell(table, row, column) == (c.number != 0);
    case Condition::Kind::text:
      return trim(table.cell(row, column)) == c.expected;
  }
  return false;
}

// The rows meeting every condition, without exact duplicates (as pandas' drop_duplicates).
// When none match, `held` (if given) receives the combinations of those columns the file has.
std::vector<size_t> find_rows(const io::CsvTable& table, const std::vector<Condition>& conditions,
                              std::string* held = nullptr) {
  std::vector<size_t> columns;
  for (const auto& c : conditions) columns.push_back(table.column(c.column));
  std::vector<size_t> selected;
  std::set<std::vector<std::string>> seen;
  std::set<std::string> present;
  for (size_t row = 0; row < table.num_rows(); ++row) {
    bool ok = true;
    for (size_t i = 0; i < conditions.size() && ok; ++i) ok = matches(table, row, columns[i], conditions[i]);
    if (!ok) {
      if (present.size() < 12) {
        std::string combo;
        for (size_t i = 0; i < conditions.size(); ++i)
          combo += (i ? ", " : "") + conditions[i].column + "=" + std::string(trim(table.cell(row, columns[i])));
        present.insert(combo);
      }
      continue;
    }
    std::vector<std::string> cells;
    for (size_t c = 0; c < table.header().size(); ++c) cells.push_back(table.cell(row, c));
    if (seen.insert(std::move(cells)).second) selected.push_back(row);
  }
  if (selected.empty() && held) {
    held->clear();
    for (const auto& p : present) *held += (held->empty() ? "" : "; ") + p;
  }
  return selected;
}

// "no rows with <filter>; the file has: <combinations>".
std::string no_rows_message(const std::vector<Condition>& conditions, const std::string& held) {
  return "no rows with " + describe(conditions) + (held.empty() ? "" : "; the file has: " + held);
}

// find_rows, throwing naming the file and the filter when nothing matches.
std::vector<size_t> select_rows(const io::CsvTable& table, const std::vector<Condition>& conditions) {
  std::string held;
  auto rows = find_rows(table, conditions, &held);
  if (rows.empty()) throw InputError::in_file(table.path(), 0, "rows", no_rows_message(conditions, held));
  return rows;
}

RowsFound rows_found(const io::CsvTable& table, const std::vector<Condition>& conditions) {
  RowsFound found;
  std::string held;
  found.rows = static_cast<int64_t>(find_rows(table, conditions, &held).size());
  if (found.rows == 0) found.missing = no_rows_message(conditions, held);
  return found;
}

// A profiled time: a median or mean in ms. Zero, negative or non-finite times cannot come from
// a measurement and would make every prediction wrong, so they stop the read.
double read_time(const io::CsvTable& table, size_t row, size_t column) {
  const double ms = table.as_double(row, column);
  if (!(ms > 0))
    throw InputError::in_file(table.path(), table.line_of(row), table.field(column),
                              "expected a positive time in ms, got " + format_double(ms));
  return ms;
}

// A size feature (tokens, batch size, bytes): a count, so never negative.
double read_size(const io::CsvTable& table, size_t row, size_t column) {
  const double value = table.as_double(row, column);
  if (value < 0)
    throw InputError::in_file(table.path(), table.line_of(row), table.field(column),
                              "expected a non-negative size, got " + format_double(value));
  return value;
}

TrainingSet make_set(const io::CsvTable& table, const std::string& op, const std::vector<Condition>& conditions,
                     std::vector<std::string> feature_names, size_t num_rows) {
  TrainingSet set;
  set.op = op;
  set.source = table.path();
  set.filter = describe(conditions);
  set.feature_names = std::move(feature_names);
  set.features.resize(static_cast<Eigen::Index>(num_rows), static_cast<Eigen::Index>(set.feature_names.size()));
  set.target.resize(static_cast<Eigen::Index>(num_rows));
  set.lines.reserve(num_rows);
  return set;
}

std::vector<Condition> shape_conditions(const spec::ModelSpec& m, int64_t tp) {
  return {number("n_head", m.num_q_heads),          number("n_kv_head", m.num_kv_heads),
          number("n_embd", m.hidden_size),          number("n_expanded_embd", m.mlp_hidden_size),
          boolean("use_gated_mlp", m.gated_mlp),    number("vocab_size", m.vocab_size),
          number("num_tensor_parallel_workers", tp)};
}

std::vector<Condition> attention_conditions(const spec::ModelSpec& m, int64_t tp, int64_t block_size) {
  return {number("n_embd", m.hidden_size), number("n_q_head", m.num_q_heads), number("n_kv_head", m.num_kv_heads),
          number("block_size", block_size), number("num_tensor_parallel_workers", tp)};
}

std::vector<Condition> all_reduce_conditions(int64_t tp) {
  return {number("num_workers", tp), number("devices_per_node", tp), text("collective", "all_reduce")};
}

std::vector<Condition> send_recv_conditions(bool multi_node) {
  return {text("collective", "send_recv"), number("devices_per_node", multi_node ? 1 : 2)};
}

// Collective rows: feature num_tokens = size / (2 * hidden), target the collective's median.
TrainingSet read_collective(const std::string& path, const spec::ModelSpec& model, const std::string& collective,
                            const std::vector<Condition>& conditions) {
  const auto table = io::CsvTable::read(path);
  const auto rows = select_rows(table, conditions);
  const auto size_column = table.column("size");
  const auto target_column = table.column("time_stats." + collective + ".median");
  auto set = make_set(table, collective, conditions, {"num_tokens"}, rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    set.features(r, 0) = read_size(table, rows[i], size_column) / static_cast<double>(model.hidden_size) / 2.0;
    set.target(r) = read_time(table, rows[i], target_column);
    set.lines.push_back(table.line_of(rows[i]));
  }
  return set;
}

}  // namespace

bool read_bool_cell(const io::CsvTable& table, size_t row, size_t column) {
  std::string value(trim(table.cell(row, column)));
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
  if (value != "true" && value != "false")
    throw InputError(table.path() + ":" + std::to_string(table.line_of(row)) + ": column '" + table.header()[column] +
                     "': expected True or False, got '" + table.cell(row, column) + "'");
  return value == "true";
}

const std::vector<std::string>& mlp_profile_operators() {
  static const std::vector<std::string> ops{"attn_pre_proj",
                                            "attn_post_proj",
                                            "mlp_up_proj",
                                            "mlp_down_proj",
                                            "mlp_act",
                                            "input_layernorm",
                                            "post_attention_layernorm",
                                            "attn_rope",
                                            "add"};
  return ops;
}

const std::vector<std::string>& elementwise_operators() {
  static const std::vector<std::string> ops{"mlp_act", "input_layernorm", "post_attention_layernorm", "attn_rope",
                                            "add"};
  return ops;
}

bool is_elementwise_operator(const std::string& op) {
  const auto& ops = elementwise_operators();
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

bool is_optional_mlp_operator(const std::string& op) {
  return op == "input_layernorm" || op == "post_attention_layernorm" || op == "add";
}

std::vector<TrainingSet> read_mlp_profile(const std::string& path, const spec::ModelSpec& model,
                                          int64_t tensor_parallel) {
  const auto table = io::CsvTable::read(path);
  const auto conditions = shape_conditions(model, tensor_parallel);
  const auto rows = select_rows(table, conditions);
  const auto tokens = table.column("num_tokens");
  std::vector<TrainingSet> sets;
  for (const auto& op : mlp_profile_operators()) {
    const std::string column_name = "time_stats." + op + ".median";
    // Norm and add columns may be absent or empty (models without them): they cost 0 there.
    const bool optional = is_optional_mlp_operator(op);
    const auto column = optional ? table.find_column(column_name) : std::optional<size_t>(table.column(column_name));
    auto set = make_set(table, op, conditions, {"num_tokens"}, rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto r = static_cast<Eigen::Index>(i);
      set.features(r, 0) = read_size(table, rows[i], tokens);
      const bool empty = column && trim(table.cell(rows[i], *column)).empty();
      set.target(r) = !column || (optional && empty) ? 0.0 : read_time(table, rows[i], *column);
      set.lines.push_back(table.line_of(rows[i]));
    }
    sets.push_back(std::move(set));
  }
  return sets;
}

AttentionProfile read_attention_profile(const std::string& path, const spec::ModelSpec& model, int64_t tensor_parallel,
                                        int64_t block_size) {
  const auto table = io::CsvTable::read(path);
  const auto conditions = attention_conditions(model, tensor_parallel, block_size);
  const auto rows = select_rows(table, conditions);
  const auto batch = table.column("batch_size"), chunk = table.column("prefill_chunk_size"),
             kv = table.column("kv_cache_size");
  const auto decode_target = table.column("time_stats.attn_decode.median");
  const auto prefill_target = table.column("time_stats.attn_prefill.median");
  const auto save_target = table.find_column("time_stats.attn_kv_cache_save.median");

  std::vector<size_t> decode_rows, prefill_rows;
  for (auto row : rows) (read_size(table, row, chunk) == 0 ? decode_rows : prefill_rows).push_back(row);
  auto decode_conditions = conditions, prefill_conditions = conditions;
  decode_conditions.push_back(number("prefill_chunk_size", 0));
  prefill_conditions.push_back({"prefill_chunk_size", "> 0", Condition::Kind::text});
  for (auto* part : {&decode_rows, &prefill_rows})
    if (part->empty())
      throw InputError::in_file(path, 0, "rows",
                                "no " + std::string(part == &decode_rows ? "decode" : "prefill") + " rows with " +
                                    describe(part == &decode_rows ? decode_conditions : prefill_conditions));

  AttentionProfile profile;
  profile.decode =
      make_set(table, "attn_decode", decode_conditions, {"batch_size", "kv_cache_size"}, decode_rows.size());
  for (size_t i = 0; i < decode_rows.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    profile.decode.features(r, 0) = read_size(table, decode_rows[i], batch);
    profile.decode.features(r, 1) = read_size(table, decode_rows[i], kv);
    profile.decode.target(r) = read_time(table, decode_rows[i], decode_target);
    profile.decode.lines.push_back(table.line_of(decode_rows[i]));
  }
  profile.prefill = make_set(table, "attn_prefill", prefill_conditions, {"kv_cache_size", "prefill_chunk_size_squared"},
                             prefill_rows.size());
  for (size_t i = 0; i < prefill_rows.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    const double c = table.as_double(prefill_rows[i], chunk);
    profile.prefill.features(r, 0) = read_size(table, prefill_rows[i], kv);
    profile.prefill.features(r, 1) = c * c;
    profile.prefill.target(r) = read_time(table, prefill_rows[i], prefill_target);
    profile.prefill.lines.push_back(table.line_of(prefill_rows[i]));
  }
  if (save_target) {
    profile.kv_cache_save = make_set(table, "attn_kv_cache_save", conditions, {"num_tokens"}, rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto r = static_cast<Eigen::Index>(i);
      profile.kv_cache_save.features(r, 0) =
          std::max(read_size(table, rows[i], chunk), read_size(table, rows[i], batch));
      profile.kv_cache_save.target(r) = read_time(table, rows[i], *save_target);
      profile.kv_cache_save.lines.push_back(table.line_of(rows[i]));
    }
  }
  return profile;
}

TrainingSet read_all_reduce_profile(const std::string& path, const spec::ModelSpec& model, int64_t tensor_parallel) {
  return read_collective(path, model, "all_reduce", all_reduce_conditions(tensor_parallel));
}

TrainingSet read_send_recv_profile(const std::string& path, const spec::ModelSpec& model, bool multi_node) {
  return read_collective(path, model, "send_recv", send_recv_conditions(multi_node));
}

RowsFound attention_rows(const std::string& path, const spec::ModelSpec& model, int64_t tensor_parallel,
                         int64_t block_size) {
  return rows_found(io::CsvTable::read(path), attention_conditions(model, tensor_parallel, block_size));
}

RowsFound all_reduce_rows(const std::string& path, int64_t tensor_parallel) {
  return rows_found(io::CsvTable::read(path), all_reduce_conditions(tensor_parallel));
}

RowsFound send_recv_rows(const std::string& path, bool multi_node) {
  return rows_found(io::CsvTable::read(path), send_recv_conditions(multi_node));
}

MlpCoverage mlp_coverage(const std::string& path, const spec::ModelSpec& model, int64_t tensor_parallel) {
  const auto table = io::CsvTable::read(path);
  const auto conditions = shape_conditions(model, tensor_parallel);
  MlpCoverage coverage;
  coverage.found = rows_found(table, conditions);
  if (!coverage.found) return coverage;
  const auto rows = find_rows(table, conditions);
  for (const auto& op : mlp_profile_operators()) {
    const auto column = table.find_column("time_stats." + op + ".median");
    if (!column) {
      if (!is_optional_mlp_operator(op)) table.column("time_stats." + op + ".median");  // throws, naming the file
      continue;
    }
    const bool measured =
        std::any_of(rows.begin(), rows.end(), [&](size_t row) { return !trim(table.cell(row, *column)).empty(); });
    if (measured || !is_optional_mlp_operator(op)) coverage.operators.push_back(op);
  }
  return coverage;
}

const std::vector<std::string>& cpu_overhead_operators() {
  static const std::vector<std::string> ops{"schedule", "sampler_e2e", "prepare_inputs_e2e", "process_model_outputs",
                                            "ray_comm_time"};
  return ops;
}

std::vector<TrainingSet> read_cpu_overhead_profile(const std::string& path, const spec::ModelSpec& model,
                                                   int64_t tensor_parallel) {
  const auto table = io::CsvTable::read(path);
  const std::vector<Condition> conditions{text("model_name", model.name),
                                          number("tensor_parallel_degree", tensor_parallel)};
  const auto rows = select_rows(table, conditions);
  const auto batch = table.column("batch_size");
  std::vector<TrainingSet> sets;
  for (const auto& op : cpu_overhead_operators()) {
    const auto column = table.column(op == "ray_comm_time" ? "ray_comm_time_mean" : op + "_median");
    auto set = make_set(table, op, conditions, {"batch_size"}, rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto r = static_cast<Eigen::Index>(i);
      set.features(r, 0) = read_size(table, rows[i], batch);
      set.target(r) = read_time(table, rows[i], column);
      set.lines.push_back(table.line_of(rows[i]));
    }
    sets.push_back(std::move(set));
  }
  return sets;
}

}  // namespace infersweep::predict
