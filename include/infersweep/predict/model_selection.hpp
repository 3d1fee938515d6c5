#pragma once
// Chooses, per operator, the regressor with the lowest k-fold cross-validated MAPE among a list
// of candidates (Vidur grid-searches a random forest and a polynomial the same way), then
// refits it on every row. Folds and tree seeds derive from one seed, so selection is repeatable.
#include <memory>
#include <string>
#include <vector>

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

}  // namespace infersweep::predict
