#pragma once
// Least squares on all monomials of the features up to a total degree, with an intercept.
// Rows are weighted by 1/y^2 so that the fit minimises relative, not absolute, error (the
// quantity MAPE scores); features are scaled by their training maximum for conditioning.
#include <vector>

#include "infersweep/common/binary_stream.hpp"
#include "infersweep/predict/regressor.hpp"

namespace infersweep::predict {

class PolynomialRegressor : public Regressor {
 public:
  explicit PolynomialRegressor(int degree) : degree_(degree) {}

  void fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, uint64_t seed) override;
  Eigen::VectorXd predict(const Eigen::MatrixXd& x) const override;
  double predict_one(const double* features) const;

  int degree() const { return degree_; }
  void save(BinaryWriter& out) const;
  static PolynomialRegressor load(BinaryReader& in);

 private:
  Eigen::MatrixXd design(const Eigen::MatrixXd& x) const;

  int degree_;
  std::vector<std::vector<int>> terms_;  // exponent of each feature, per monomial
  std::vector<double> scale_;            // per feature
  std::vector<double> coefficients_;     // per monomial
};

}  // namespace infersweep::predict
