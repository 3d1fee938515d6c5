#include "infersweep/predict/model_selection.hpp"

#include <limits>
#include <numeric>

#include "infersweep/common/error.hpp"
#include "infersweep/common/random_stream.hpp"
#include "infersweep/predict/grid_cache.hpp"

namespace infersweep::predict {

namespace {

bool all_positive(const Eigen::VectorXd& y) { return (y.array() > 0).all(); }

// Trees fitted on log(ms) cannot see a zero target; fall back to the linear target there.
RegressorSpec adapt(RegressorSpec spec, const Eigen::VectorXd& y) {
  if (spec.log_target && !all_positive(y)) spec.log_target = false;
  return spec;
}

uint64_t fit_seed(uint64_t seed, const std::string& op, int fold) {
  return fnv1a64(op + "#" + std::to_string(fold)) ^ (seed * 0x9e3779b97f4a7c15ULL);
}

}  // namespace

std::vector<RegressorSpec> default_regressor_candidates() {
  std::vector<RegressorSpec> out;
  for (int d = 1; d <= 5; ++d) {
    RegressorSpec p;
    p.family = "polynomial";
    p.degree = d;
    out.push_back(p);
  }
  RegressorSpec boosted;
  boosted.family = "xgboost_boosted";
  boosted.num_trees = 300;
  boosted.max_depth = 4;
  boosted.learning_rate = 0.1;
  out.push_back(boosted);
  RegressorSpec forest;
  forest.family = "xgboost_forest";
  forest.num_trees = 50;
  forest.max_depth = 10;
  forest.subsample = 0.8;
  out.push_back(forest);
  return out;
}

ModelSelection select_regressor(const TrainingSet& data, const std::vector<RegressorSpec>& candidates, int k_folds,
                                uint64_t seed) {
  ModelSelection result;
  if (data.size() == 0) throw InputError::in_file(data.source, 0, data.op, "no rows to learn from");
  if ((data.target.array() == 0).all()) {
    result.chosen.family = "zero";
    return result;
  }
  if (data.size() < 4)
    throw InputError::in_file(data.source, 0, data.op,
                              "only " + std::to_string(data.size()) + " rows with " + data.filter +
                                  "; at least 4 are needed to learn and validate a model");
  // Vidur falls back to 2 folds when there are fewer rows than folds.
  const int folds = data.size() < k_folds ? 2 : k_folds;
  result.folds = folds;

  std::vector<Eigen::Index> order(static_cast<size_t>(data.size()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  RandomStream shuffle(seed, "cross-validation folds of " + data.op);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[shuffle.uniform_index(i)]);

  const auto& registry = builtin_regressors();
  double best = std::numeric_limits<double>::infinity();
  for (const auto& original : candidates) {
    const auto spec = adapt(original, data.target);
    Eigen::VectorXd predicted(data.size());
    for (int f = 0; f < folds; ++f) {
      std::vector<Eigen::Index> train, test;
      for (size_t i = 0; i < order.size(); ++i)
        (static_cast<int>(i % static_cast<size_t>(folds)) == f ? test : train).push_back(order[i]);
      auto model = registry.create("regressor", spec.family, spec);
      model->fit(data.features(train, Eigen::all), data.target(train), fit_seed(seed, data.op, f));
      const Eigen::VectorXd p = model->predict(data.features(test, Eigen::all));
      for (size_t i = 0; i < test.size(); ++i) predicted(test[i]) = p(static_cast<Eigen::Index>(i));
    }
    // MAPE over all held-out predictions: every row is scored exactly once.
    const double mape = mean_absolute_percentage_error(data.target, predicted);
    result.candidates.push_back({spec.label(), mape});
    if (mape < best) best = mape, result.chosen = spec, result.cv_mape = mape;
  }
  return result;
}

ModelSelection SharedModelSelections::select(const TrainingSet& data, const std::vector<RegressorSpec>& candidates,
                                             int k_folds, uint64_t seed) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  // Everything select_regressor reads: the operator names its folds and seeds, the file and
  // filter its errors; the rows in full (their line numbers only locate them).
  ContentHash key;
  key.add(data.op);
  key.add(data.source);
  key.add(data.filter);
  const auto bytes_of = [](const double* values, Eigen::Index count) {
    return std::string(reinterpret_cast<const char*>(values), static_cast<size_t>(count) * sizeof(double));
  };
  key.add(std::to_string(data.features.rows()) + "x" + std::to_string(data.features.cols()));
  key.add(bytes_of(data.features.data(), data.features.size()));
  key.add(bytes_of(data.target.data(), data.target.size()));
  for (const auto& spec : candidates) key.add(spec.label());
  key.add(std::to_string(k_folds) + " folds, seed " + std::to_string(seed));
  return made_.get(key.hex(), [&] { return select_regressor(data, candidates, k_folds, seed); });
}

std::unique_ptr<Regressor> fit_selected(const TrainingSet& data, const RegressorSpec& spec, uint64_t seed) {
  if (spec.family == "zero") return nullptr;
  auto model = builtin_regressors().create("regressor", spec.family, spec);
  model->fit(data.features, data.target, fit_seed(seed, data.op, -1));
  return model;
}

}  // namespace infersweep::predict
