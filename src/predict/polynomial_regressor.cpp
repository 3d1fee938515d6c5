#include "infersweep/predict/polynomial_regressor.hpp"

#include <Eigen/QR>
#include <algorithm>
#include <cmath>

namespace infersweep::predict {

namespace {

// Every exponent vector over `features` features with total degree <= degree, in a fixed order.
void enumerate_terms(int features, int degree, std::vector<int>& current, int index, int left,
                     std::vector<std::vector<int>>& out) {
  if (index == features) {
    out.push_back(current);
    return;
  }
  for (int e = 0; e <= left; ++e) {
    current[static_cast<size_t>(index)] = e;
    enumerate_terms(features, degree, current, index + 1, left - e, out);
  }
}

}  // namespace

Eigen::MatrixXd PolynomialRegressor::design(const Eigen::MatrixXd& x) const {
  Eigen::MatrixXd a(x.rows(), static_cast<Eigen::Index>(terms_.size()));
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    for (size_t t = 0; t < terms_.size(); ++t) {
      double v = 1.0;
      for (size_t f = 0; f < scale_.size(); ++f)
        v *= std::pow(x(r, static_cast<Eigen::Index>(f)) / scale_[f], terms_[t][f]);
      a(r, static_cast<Eigen::Index>(t)) = v;
    }
  return a;
}

void PolynomialRegressor::fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, uint64_t) {
  const auto features = static_cast<int>(x.cols());
  std::vector<int> current(static_cast<size_t>(features), 0);
  terms_.clear();
  enumerate_terms(features, degree_, current, 0, degree_, terms_);
  scale_.assign(static_cast<size_t>(features), 1.0);
  for (int f = 0; f < features; ++f) {
    const double m = x.col(f).cwiseAbs().maxCoeff();
    scale_[static_cast<size_t>(f)] = m > 0 ? m : 1.0;
  }
  double positive_mean = 0;
  int positives = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i)
    if (y(i) > 0) positive_mean += y(i), ++positives;
  const double floor = positives ? 1e-3 * positive_mean / positives : 1.0;
  Eigen::VectorXd w(y.size());
  for (Eigen::Index i = 0; i < y.size(); ++i) w(i) = 1.0 / std::max(std::abs(y(i)), floor);
  const Eigen::MatrixXd a = w.asDiagonal() * design(x);
  const Eigen::VectorXd b = w.cwiseProduct(y);
  const Eigen::VectorXd c = a.colPivHouseholderQr().solve(b);
  coefficients_.assign(c.data(), c.data() + c.size());
}

Eigen::VectorXd PolynomialRegressor::predict(const Eigen::MatrixXd& x) const {
  const Eigen::MatrixXd a = design(x);
  const Eigen::Map<const Eigen::VectorXd> c(coefficients_.data(), static_cast<Eigen::Index>(coefficients_.size()));
  return a * c;
}

double PolynomialRegressor::predict_one(const double* features) const {
  double sum = 0;
  for (size_t t = 0; t < terms_.size(); ++t) {
    double v = coefficients_[t];
    for (size_t f = 0; f < scale_.size(); ++f) v *= std::pow(features[f] / scale_[f], terms_[t][f]);
    sum += v;
  }
  return sum;
}

void PolynomialRegressor::save(BinaryWriter& out) const {
  out.i64(degree_);
  out.f64s(scale_);
  out.f64s(coefficients_);
  out.u64(terms_.size());
  for (const auto& t : terms_)
    for (int e : t) out.i64(e);
}

PolynomialRegressor PolynomialRegressor::load(BinaryReader& in) {
  PolynomialRegressor p(static_cast<int>(in.i64()));
  p.scale_ = in.f64s();
  p.coefficients_ = in.f64s();
  const auto n = in.u64();
  if (n != p.coefficients_.size()) throw std::runtime_error("polynomial record is inconsistent");
  p.terms_.assign(n, std::vector<int>(p.scale_.size()));
  for (auto& t : p.terms_)
    for (auto& e : t) e = static_cast<int>(in.i64());
  return p;
}

}  // namespace infersweep::predict
