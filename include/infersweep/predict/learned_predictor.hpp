#pragma once
// The "learned" execution-time predictor: per-operator models chosen by cross-validation on
// Vidur's profiling CSVs, evaluated once on prediction grids (cached on disk), with attention
// from a roofline calibrated on the same GPU's GEMMs (and its other models' attention) wherever
// no attention rows exist.
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "infersweep/predict/operator_time_model.hpp"
#include "infersweep/predict/prediction_grid.hpp"
#include "infersweep/predict/roofline_calibration.hpp"
#include "infersweep/predict/roofline_model.hpp"

namespace infersweep::predict {

// The files and settings that determine a learned predictor, resolved from a context.
struct LearnedPredictorInputs {
  std::string profiling_dir;
  std::string mlp_file;
  std::string attention_file;     // empty: no measured attention for this deployment
  std::string all_reduce_file;    // empty when TP == 1
  std::string send_recv_file;     // empty when PP == 1
  std::string cpu_overhead_file;  // empty: not modelled
  std::vector<std::string> calibration_files;
  bool multi_node = false;
  int64_t max_tokens = 0;  // token-grid range (x batch size for orca)
  std::string settings;    // canonical text of every setting that shapes the grids

  std::vector<std::string> files() const;
};

// Default profiling directory: $INFERSWEEP_PROFILING_DIR, else the one configured at build time.
std::string default_profiling_dir();

// Throws InputError naming the missing file or directory.
LearnedPredictorInputs resolve_learned_inputs(const PredictorContext& context);

struct LearnedPredictorState {
  std::map<std::string, OperatorGrid> operators;
  RooflineCalibration calibration;
  bool attention_measured = false;
  bool cpu_overhead_modelled = false;

  std::string serialize() const;
  static LearnedPredictorState deserialize(const std::string& bytes);
};

// Trains every operator model and evaluates its grid (no cache involved).
LearnedPredictorState build_learned_state(const PredictorContext& context, const LearnedPredictorInputs& inputs);

// Where the state came from, for progress messages and tests.
struct LearnedStateOrigin {
  bool from_cache = false;
  std::string cache_file;  // empty when caching is off
  std::string key;
  double build_seconds = 0;
};

// Reads the state from the cache when an entry for exactly these inputs exists, else builds
// and stores it.
std::shared_ptr<const LearnedPredictorState> load_or_build_learned_state(const PredictorContext& context,
                                                                         LearnedStateOrigin* origin = nullptr);

class LearnedOperatorModel : public OperatorTimeModel {
 public:
  LearnedOperatorModel(const PredictorContext& context, std::shared_ptr<const LearnedPredictorState> state);

  double token_op_ms(TokenOp op, int64_t num_tokens) const override;
  double decode_attention_ms(int64_t batch_size, int64_t kv_tokens) const override;
  double prefill_attention_ms(int64_t kv_tokens, int64_t chunk_sq) const override;
  double all_reduce_ms(int64_t num_tokens) const override;
  double send_recv_ms(int64_t num_tokens) const override;
  double cpu_overhead_ms(int64_t batch_size) const override;
  int64_t out_of_grid_lookups() const override { return out_of_grid_.load(std::memory_order_relaxed); }

  const LearnedPredictorState& state() const { return *state_; }

 private:
  double lookup(const OperatorGrid& grid, int64_t key) const;
  double lookup(const OperatorGrid& grid, int64_t key0, int64_t key1, double feature1) const;

  std::shared_ptr<const LearnedPredictorState> state_;
  RooflineModel roofline_;
  std::array<const OperatorGrid*, 10> token_ops_{};
  const OperatorGrid* decode_ = nullptr;
  const OperatorGrid* prefill_ = nullptr;
  const OperatorGrid* all_reduce_ = nullptr;
  const OperatorGrid* send_recv_ = nullptr;
  std::vector<const OperatorGrid*> cpu_overheads_;
  mutable std::atomic<int64_t> out_of_grid_{0};
};

// Name of a token-level operator as in the profiling CSVs.
std::string token_op_name(TokenOp op);

}  // namespace infersweep::predict
