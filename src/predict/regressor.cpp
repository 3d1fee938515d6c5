#include "infersweep/predict/regressor.hpp"

#include <cmath>

#include "infersweep/common/text.hpp"
#include "infersweep/predict/polynomial_regressor.hpp"
#include "infersweep/predict/xgboost_regressor.hpp"

namespace infersweep::predict {

std::string RegressorSpec::label() const {
  if (family == "polynomial") return "polynomial(degree=" + std::to_string(degree) + ")";
  std::string out = family + "(trees=" + std::to_string(num_trees) + ",depth=" + std::to_string(max_depth);
  if (family == "xgboost_boosted") out += ",eta=" + format_double(learning_rate);
  if (family == "xgboost_forest") out += ",subsample=" + format_double(subsample);
  if (min_child_weight != 1) out += ",min_leaf=" + format_double(min_child_weight);
  return out + (log_target ? ",log)" : ")");
}

RegressorRegistry make_regressor_registry() {
  RegressorRegistry registry("regressor");
  registry.add("polynomial", [](const RegressorSpec& s) { return std::make_unique<PolynomialRegressor>(s.degree); });
  registry.add("xgboost_boosted", [](const RegressorSpec& s) { return std::make_unique<XgboostRegressor>(s, false); });
  registry.add("xgboost_forest", [](const RegressorSpec& s) { return std::make_unique<XgboostRegressor>(s, true); });
  return registry;
}

const RegressorRegistry& builtin_regressors() {
  static const RegressorRegistry registry = make_regressor_registry();
  return registry;
}

double mean_absolute_percentage_error(const Eigen::VectorXd& truth, const Eigen::VectorXd& predicted) {
  if (truth.size() == 0) return 0.0;
  double sum = 0;
  for (Eigen::Index i = 0; i < truth.size(); ++i) {
    if (truth(i) == 0)
      sum += predicted(i) == 0 ? 0.0 : 100.0;
    else
      sum += std::abs((truth(i) - predicted(i)) / truth(i)) * 100.0;
  }
  return sum / static_cast<double>(truth.size());
}

}  // namespace infersweep::predict
