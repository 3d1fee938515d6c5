#pragma once
// Tree ensembles through XGBoost's C API: gradient-boosted trees or a random forest (one round
// of many parallel trees on row subsamples, XGBoost's random-forest mode). Single-threaded and
// seeded, so the same rows and seed give the same trees.
#include <memory>

#include "infersweep/predict/regressor.hpp"

namespace infersweep::predict {

class XgboostRegressor : public Regressor {
 public:
  XgboostRegressor(const RegressorSpec& spec, bool forest);
  ~XgboostRegressor() override;
  XgboostRegressor(const XgboostRegressor&) = delete;
  XgboostRegressor& operator=(const XgboostRegressor&) = delete;

  void fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, uint64_t seed) override;
  Eigen::VectorXd predict(const Eigen::MatrixXd& x) const override;

 private:
  RegressorSpec spec_;
  bool forest_;
  void* booster_ = nullptr;  // BoosterHandle
};

}  // namespace infersweep::predict
