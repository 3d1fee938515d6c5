#pragma once
// Small regression models learned from profiling rows. Each family is a plug-in chosen by name
// ("polynomial", "xgboost_boosted", "xgboost_forest"); a RegressorSpec names the family and its
// settings so that model selection can try a list of them.
#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>

#include "infersweep/common/registry.hpp"

namespace infersweep::predict {

struct RegressorSpec {
  std::string family;   // registry name
  int degree = 1;       // polynomial: total degree of the monomials
  int max_depth = 6;    // trees
  int num_trees = 100;  // boosted: rounds; forest: trees in the one round
  double learning_rate = 0.1;
  double subsample = 0.8;       // forest: rows drawn per tree
  double min_child_weight = 1;  // trees: fewest rows per leaf (squared error: hessian 1 per row)
  bool log_target = true;       // trees: learn log(ms), so relative errors weigh equally

  std::string label() const;  // e.g. "polynomial(degree=3)"
};

class Regressor {
 public:
  virtual ~Regressor() = default;
  // Rows of x are samples. `seed` drives any randomness (tree subsampling), so that the same
  // data and seed give the same model.
  virtual void fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, uint64_t seed) = 0;
  virtual Eigen::VectorXd predict(const Eigen::MatrixXd& x) const = 0;
};

using RegressorRegistry = Registry<Regressor, const RegressorSpec&>;
RegressorRegistry make_regressor_registry();
const RegressorRegistry& builtin_regressors();  // built once

// Vidur's error measure, in percent: mean over rows of |y - p| / y; a row with y == 0 counts 0
// when p == 0, else 100.
double mean_absolute_percentage_error(const Eigen::VectorXd& truth, const Eigen::VectorXd& predicted);

}  // namespace infersweep::predict
