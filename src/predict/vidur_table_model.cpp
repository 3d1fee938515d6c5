#include "infersweep/predict/vidur_table_model.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_table.hpp"
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
  const auto table =
      io::is_gzip_path(path) ? io::CsvTable::parse(io::read_gzip_file(path), path) : io::CsvTable::read(path);
  std::vector<size_t> keys;
  for (const auto& k : key_columns) keys.push_back(table.column(k));
  const auto prediction = table.column("prediction");
  PredictionTable out;
  out.op = op;
  out.source = path;
  out.key_columns = key_columns;
  out.values.reserve(table.num_rows());
  for (size_t row = 0; row < table.num_rows(); ++row) {
    // pandas may write integer features as floats ("64.0"): accept whole numbers only.
    int64_t k[2] = {0, 0};
    for (size_t i = 0; i < keys.size(); ++i) {
      const double v = table.as_double(row, keys[i]);
      if (v != std::floor(v) || v < 0 || v >= 4294967296.0)
        throw InputError::in_file(path, table.line_of(row), key_columns[i], "expected a whole number key");
      k[i] = static_cast<int64_t>(v);
    }
    // Zero is one of Vidur's own answers (attn_kv_cache_save without a measured column), so
    // only negative times are refused; as_double refuses non-finite ones.
    const double ms = table.as_double(row, prediction);
    if (!(ms >= 0))
      throw InputError::in_file(path, table.line_of(row), "column 'prediction'",
                                "expected a non-negative time in ms, got " + format_double(ms));
    out.values[keys.size() == 2 ? pack(k[0], k[1]) : static_cast<uint64_t>(k[0])] = ms;
    out.max_key0 = std::max(out.max_key0, k[0]);
  }
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
