#pragma once
// The "table" predictor: operator times read from the prediction grids Vidur writes to its
// cache directory (<op>_<hash>_predictions.csv: the feature columns, then `prediction`; also
// read gzip'd as .csv.gz), so that both simulators can be compared on identical operator
// times. The tables must fit the configuration (vidur_table_fit.hpp). Like Vidur, it has no
// value outside its tables: such a lookup is a SimulationError naming operator and key.
#include <string>
#include <unordered_map>
#include <vector>

#include "infersweep/predict/operator_time_model.hpp"

namespace infersweep::predict {

struct PredictionTable {
  std::string op;
  std::string source;
  std::vector<std::string> key_columns;
  std::unordered_map<uint64_t, double> values;  // key: (k0 << 32) | k1, or k0 alone
  int64_t max_key0 = 0;
  double at(int64_t key0, int64_t key1, bool two_keys) const;
  // The entry of a key, or null.
  const double* find(int64_t key0, int64_t key1, bool two_keys) const;
};

// The one file `<op>_<8 hex>_predictions.csv[.gz]` in `dir`; throws InputError when there is
// none or more than one (listing them).
std::string find_prediction_table(const std::string& dir, const std::string& op);
// Whether `dir` holds any table for `op`.
bool has_prediction_table(const std::string& dir, const std::string& op);

// Reads a table whose feature columns are `key_columns` (one or two) and `prediction`; for
// prefill attention the second key column is the chunk squared, kept as is. A path ending in
// .gz is decompressed first.
PredictionTable read_prediction_table(const std::string& path, const std::string& op,
                                      const std::vector<std::string>& key_columns);

// The tables one configuration reads (collectives only with TP > 1 / PP > 1).
struct VidurTables {
  std::string dir;
  std::vector<PredictionTable> token_ops;  // by TokenOp
  PredictionTable decode, prefill, all_reduce, send_recv;
};

// Reads the tables `context` needs from context.config.learned.table_dir and checks that they
// fit it (check_tables_fit); throws InputError otherwise.
VidurTables read_vidur_tables(const PredictorContext& context);

class VidurTableModel : public OperatorTimeModel {
 public:
  explicit VidurTableModel(const PredictorContext& context);

  double token_op_ms(TokenOp op, int64_t num_tokens) const override;
  double decode_attention_ms(int64_t batch_size, int64_t kv_tokens) const override;
  double prefill_attention_ms(int64_t kv_tokens, int64_t chunk_sq) const override;
  double all_reduce_ms(int64_t num_tokens) const override;
  double send_recv_ms(int64_t num_tokens) const override;

 private:
  VidurTables tables_;
};

}  // namespace infersweep::predict
