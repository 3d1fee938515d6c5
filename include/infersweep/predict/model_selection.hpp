#pragma once
// Chooses, per operator, the regressor with the lowest k-fold cross-validated MAPE among a list
// of candidates (Vidur grid-searches a random forest and a polynomial the same way), then
// refits it on every row. Folds and tree seeds derive from one seed, so selection is repeatable.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infersweep/common/once_map.hpp"
#include "infersweep/predict/profiling_data.hpp"
#include "infersweep/predict/regressor.hpp"

namespace infersweep::predict {

struct CandidateScore {
  std::string label;
  double cv_mape = 0;  // percent
};

struct ModelSelection {
  RegressorSpec chosen;  // family "zero" when every target is 0 (the operator is absent)
  double cv_mape = 0;
  int folds = 0;
  std::vector<CandidateScore> candidates;
};

// Polynomials of degree 1..5 and two tree ensembles (boosted, forest).
std::vector<RegressorSpec> default_regressor_candidates();

ModelSelection select_regressor(const TrainingSet& data, const std::vector<RegressorSpec>& candidates, int k_folds,
                                uint64_t seed);

// Fits `spec` on all rows of `data` (the model selection chose it); nullptr for family "zero".
std::unique_ptr<Regressor> fit_selected(const TrainingSet& data, const RegressorSpec& spec, uint64_t seed);

// Selections made once and shared by the predictors one run builds (search::PredictorPool):
// those of one model, GPU and TP (different PP, grid range or scheduler) learn from the same
// rows, and cross-validating every candidate on them is most of a predictor's build. A
// selection depends only on its rows (with their operator, file and filter), the candidates,
// the folds and the seed, so each distinct set of those is selected once, with the result
// select_regressor gives. Thread-safe.
class SharedModelSelections {
 public:
  ModelSelection select(const TrainingSet& data, const std::vector<RegressorSpec>& candidates, int k_folds,
                        uint64_t seed);
  // Distinct selections asked for, and how many times one was asked for in all.
  size_t distinct() const { return made_.size(); }
  int64_t requests() const { return requests_.load(std::memory_order_relaxed); }

 private:
  OnceMap<ModelSelection> made_;
  std::atomic<int64_t> requests_{0};
};

}  // namespace infersweep::predict
