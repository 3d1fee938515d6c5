#include "infersweep/predict/vidur_table_model.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <string_view>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_records.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "infersweep/io/gzip_file.hpp"
#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/predict/vidur_table_fit.hpp"

namespace infersweep::predict {

namespace fs = std::filesystem;

namespace {

uint64_t pack(int64_t k0, int64_t k1) { return (static_cast<uint64_t>(k0) << 32) | static_cast<uint64_t>(k1); }

std::vector<std::string> tables_for(const std::string& dir, const std::string& op) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError::setting("prediction-table-dir", "'" + dir + "' is not a directory");
  const std::regex pattern(op + "_[0-9a-f]{8}_predictions\\.csv(\\.gz)?");
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (std::regex_match(entry.path().filename().string(), pattern)) found.push_back(entry.path().string());
  std::sort(found.begin(), found.end());
  return found;
}

struct Entry {
  uint64_t key;
  double ms;
};

// A cell as a finite number; anything else is the error CsvTable::as_double gives.
double cell_number(std::string_view cell, const std::string& path, int64_t line, const std::string& column) {
  double value = 0;
  const auto [end, status] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (!cell.empty() && status == std::errc() && end == cell.data() + cell.size() && std::isfinite(value)) return value;
  return parse_double(cell, path + ":" + std::to_string(line) + ": column '" + column + "'");
}

// pandas may write integer features as floats ("64.0"): accept whole numbers only. Plain
// digits, the usual case, need no floating-point parse.
int64_t cell_key(std::string_view cell, const std::string& path, int64_t line, const std::string& column) {
  if (!cell.empty() && cell.size() <= 9) {
    int64_t value = 0;
    size_t i = 0;
    for (; i < cell.size() && cell[i] >= '0' && cell[i] <= '9'; ++i) value = value * 10 + (cell[i] - '0');
    if (i == cell.size()) return value;
  }
  const double v = cell_number(cell, path, line, column);
  if (v != std::floor(v) || v < 0 || v >= 4294967296.0)
    throw InputError::in_file(path, line, column, "expected a whole number key");
  return static_cast<int64_t>(v);
}

}  // namespace

const double* PredictionTable::find(int64_t key0, int64_t key1, bool two_keys) const {
  const auto it = values.find(two_keys ? pack(key0, key1) : static_cast<uint64_t>(key0));
  return it == values.end() ? nullptr : &it->second;
}

double PredictionTable::at(int64_t key0, int64_t key1, bool two_keys) const {
  if (const double* ms = find(key0, key1, two_keys)) return *ms;
  const std::string first = key_columns.empty() ? "key" : key_columns.front();
  std::string key = first + " " + std::to_string(key0);
  if (two_keys) key += ", " + (key_columns.size() > 1 ? key_columns[1] : "second key") + " " + std::to_string(key1);
  throw SimulationError("table predictor: " + op + " has no entry for " + key + " in " + source + " (largest " + first +
                        " " + std::to_string(max_key0) +
                        "); Vidur's lookup fails there too (KeyError); tables made with larger prediction_max_* "
                        "settings cover it");
}

std::string find_prediction_table(const std::string& dir, const std::string& op) {
  const auto found = tables_for(dir, op);
  if (found.empty())
    throw InputError::setting("prediction-table-dir", "no " + op + "_<hash>_predictions.csv in '" + dir +
                                                          "' (Vidur writes these to its cache directory)");
  if (found.size() > 1) {
    std::string list;
    for (const auto& f : found) list += (list.empty() ? " " : ", ") + f;
    throw InputError::setting("prediction-table-dir", "several tables for " + op + " in '" + dir +
                                                          "'; keep the set of one configuration:" + list);
  }
  return found.front();
}

bool has_prediction_table(const std::string& dir, const std::string& op) { return !tables_for(dir, op).empty(); }

PredictionTable read_prediction_table(const std::string& path, const std::string& op,
                                      const std::vector<std::string>& key_columns) {
  if (key_columns.size() > 2) throw std::invalid_argument("a prediction table has one or two key columns");
  const std::string text = io::is_gzip_path(path) ? io::read_gzip_file(path) : io::read_file_bytes(path);
  io::CsvRecords records(text, path);
  std::vector<std::string> names = key_columns;
  names.push_back("prediction");
  std::vector<size_t> columns;
  for (const auto& name : names)
    if (const auto column = io::find_header_column(records.header(), name)) columns.push_back(*column);
  const bool all_columns = columns.size() == names.size();
  // The errors come in the order of a reader that takes in the whole file before it looks at a
  // value: a malformed line first, then a missing column, then the first bad value.
  std::exception_ptr first_bad_value;
  std::vector<Entry> entries;
  int64_t max_key0 = 0;
  const auto& cells = records.cells();
  while (records.next()) {
    if (!all_columns || first_bad_value) continue;
    try {
      int64_t k[2] = {0, 0};
      for (size_t i = 0; i < key_columns.size(); ++i)
        k[i] = cell_key(cells[columns[i]], path, records.line(), key_columns[i]);
      // Zero is one of Vidur's own answers (attn_kv_cache_save without a measured column), so
      // only negative times are refused; cell_number refuses non-finite ones.
      const double ms = cell_number(cells[columns.back()], path, records.line(), "prediction");
      if (!(ms >= 0))
        throw InputError::in_file(path, records.line(), "column 'prediction'",
                                  "expected a non-negative time in ms, got " + format_double(ms));
      entries.push_back({key_columns.size() == 2 ? pack(k[0], k[1]) : static_cast<uint64_t>(k[0]), ms});
      max_key0 = std::max(max_key0, k[0]);
    } catch (const InputError&) {
      first_bad_value = std::current_exception();
    }
  }
  for (const auto& name : names) io::header_column(records.header(), name, path);  // throws for a missing one
  if (first_bad_value) std::rethrow_exception(first_bad_value);
  PredictionTable out;
  out.op = op;
  out.source = path;
  out.key_columns = key_columns;
  out.max_key0 = max_key0;
  // Reserved for every row, duplicates included, so that the map's buckets (and the order in
  // which checks walk it) do not depend on how the file was read.
  out.values.reserve(entries.size());
  for (const auto& e : entries) out.values[e.key] = e.ms;
  return out;
}

VidurTables read_vidur_tables(const PredictorContext& c) {
  VidurTables t;
  t.dir = c.config.learned.table_dir;
  if (t.dir.empty()) throw InputError::setting("prediction-table-dir", "the table predictor needs a directory");
  // Which tables exist says much of the configuration; check it before reading anything.
  check_table_files_fit(t.dir, c);
  auto read = [&](const std::string& op, const std::vector<std::string>& keys) {
    return read_prediction_table(find_prediction_table(t.dir, op), op, keys);
  };
  for (int op = 0; op <= static_cast<int>(TokenOp::attn_kv_cache_save); ++op)
    t.token_ops.push_back(read(token_op_name(static_cast<TokenOp>(op)), {"num_tokens"}));
  t.decode = read("attn_decode", {"batch_size", "kv_cache_size"});
  t.prefill = read("attn_prefill", {"kv_cache_size", "prefill_chunk_size_squared"});
  if (c.tensor_parallel > 1) t.all_reduce = read("all_reduce", {"num_tokens"});
  if (c.pipeline_parallel > 1) t.send_recv = read("send_recv", {"num_tokens"});
  check_tables_fit(t, c);
  return t;
}

VidurTableModel::VidurTableModel(const PredictorContext& c) : tables_(read_vidur_tables(c)) {}

double VidurTableModel::token_op_ms(TokenOp op, int64_t num_tokens) const {
  return tables_.token_ops[static_cast<size_t>(op)].at(num_tokens, 0, false);
}
double VidurTableModel::decode_attention_ms(int64_t batch_size, int64_t kv_tokens) const {
  return tables_.decode.at(batch_size, kv_tokens, true);
}
double VidurTableModel::prefill_attention_ms(int64_t kv_tokens, int64_t chunk_sq) const {
  return tables_.prefill.at(kv_tokens, chunk_sq, true);
}
double VidurTableModel::all_reduce_ms(int64_t num_tokens) const {
  return tables_.all_reduce.values.empty() ? 0.0 : tables_.all_reduce.at(num_tokens, 0, false);
}
double VidurTableModel::send_recv_ms(int64_t num_tokens) const {
  return tables_.send_recv.values.empty() ? 0.0 : tables_.send_recv.at(num_tokens, 0, false);
}

}  // namespace infersweep::predict
