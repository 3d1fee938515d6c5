#include "infersweep/predict/xgboost_regressor.hpp"

#include <xgboost/c_api.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace infersweep::predict {

namespace {

void check(int status, const char* what) {
  if (status != 0) throw std::runtime_error(std::string("XGBoost ") + what + ": " + XGBGetLastError());
}

// XGBoost reads row-major float32.
std::vector<float> to_float_rows(const Eigen::MatrixXd& x) {
  std::vector<float> out(static_cast<size_t>(x.rows() * x.cols()));
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      out[static_cast<size_t>(r * x.cols() + c)] = static_cast<float>(x(r, c));
  return out;
}

struct Matrix {
  DMatrixHandle handle = nullptr;
  explicit Matrix(const Eigen::MatrixXd& x) {
    const auto rows = to_float_rows(x);
    check(XGDMatrixCreateFromMat(rows.data(), static_cast<bst_ulong>(x.rows()), static_cast<bst_ulong>(x.cols()),
                                 std::nanf(""), &handle),
          "matrix");
  }
  ~Matrix() { XGDMatrixFree(handle); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
};

}  // namespace

XgboostRegressor::XgboostRegressor(const RegressorSpec& spec, bool forest) : spec_(spec), forest_(forest) {}

XgboostRegressor::~XgboostRegressor() {
  if (booster_) XGBoosterFree(booster_);
}

void XgboostRegressor::fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, uint64_t seed) {
  Matrix data(x);
  std::vector<float> labels(static_cast<size_t>(y.size()));
  for (Eigen::Index i = 0; i < y.size(); ++i)
    labels[static_cast<size_t>(i)] = static_cast<float>(spec_.log_target ? std::log(y(i)) : y(i));
  check(XGDMatrixSetFloatInfo(data.handle, "label", labels.data(), static_cast<bst_ulong>(labels.size())), "labels");
  if (booster_) XGBoosterFree(booster_), booster_ = nullptr;
  check(XGBoosterCreate(&data.handle, 1, &booster_), "booster");
  auto set = [&](const char* key, const std::string& value) {
    check(XGBoosterSetParam(booster_, key, value.c_str()), key);
  };
  set("nthread", "1");
  set("verbosity", "0");
  set("seed", std::to_string(seed % 2147483647ULL));
  // Exact splits are cheapest on a few hundred rows; histograms win on thousands (attention).
  set("tree_method", x.rows() > 2000 ? "hist" : "exact");
  set("objective", "reg:squarederror");
  set("max_depth", std::to_string(spec_.max_depth));
  set("min_child_weight", std::to_string(spec_.min_child_weight));
  set("base_score", std::to_string(labels.empty() ? 0.0 : static_cast<double>(labels[labels.size() / 2])));
  int rounds = spec_.num_trees;
  if (forest_) {
    set("num_parallel_tree", std::to_string(spec_.num_trees));
    set("subsample", std::to_string(spec_.subsample));
    set("eta", "1");
    // Leaves of a forest hold a few rows each; L2 shrinkage would pull them towards zero.
    set("lambda", "0");
    rounds = 1;
  } else {
    set("eta", std::to_string(spec_.learning_rate));
  }
  for (int i = 0; i < rounds; ++i) check(XGBoosterUpdateOneIter(booster_, i, data.handle), "training");
}

Eigen::VectorXd XgboostRegressor::predict(const Eigen::MatrixXd& x) const {
  if (!booster_) throw std::logic_error("XgboostRegressor::predict before fit");
  Matrix data(x);
  bst_ulong length = 0;
  const float* result = nullptr;
  check(XGBoosterPredict(booster_, data.handle, 0, 0, 0, &length, &result), "prediction");
  Eigen::VectorXd out(static_cast<Eigen::Index>(length));
  for (bst_ulong i = 0; i < length; ++i) {
    const double v = result[i];
    out(static_cast<Eigen::Index>(i)) = spec_.log_target ? std::exp(v) : v;
  }
  return out;
}

}  // namespace infersweep::predict
