#pragma once
// Operator times evaluated once on a regular lattice of keys, so that a simulation only looks
// values up. A key off the lattice (beyond its range, or between its points) is not clamped:
// the caller extrapolates with the operator's polynomial model and counts it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infersweep/common/binary_stream.hpp"
#include "infersweep/predict/model_selection.hpp"
#include "infersweep/predict/polynomial_regressor.hpp"

namespace infersweep::predict {

// Keys start, start + step, ..., start + (count - 1) * step.
struct GridAxis {
  int64_t start = 0;
  int64_t step = 1;
  int64_t count = 0;

  std::optional<int64_t> index_of(int64_t key) const {
    if (key < start || (key - start) % step != 0) return std::nullopt;
    const int64_t i = (key - start) / step;
    return i < count ? std::optional<int64_t>(i) : std::nullopt;
  }
  int64_t key(int64_t i) const { return start + i * step; }
  int64_t last() const { return key(count - 1); }
};

// What `predictor report` shows about how an operator's model was chosen.
struct OperatorProvenance {
  std::string source;  // file the rows came from; for an estimate, the file it stands in for
  std::string filter;
  int64_t rows = 0;
  std::string chosen;  // label of the chosen regressor, or "roofline (calibrated)" / "zero"
  ModelSelection selection;
  bool estimated = false;  // not learned from `source`'s rows but estimated (see `basis`)
  std::string basis;       // an estimate's calibration: which rows, of which GPU
};

struct OperatorGrid {
  std::string op;
  std::vector<GridAxis> axes;  // one (num_tokens, batch_size) or two (batch, kv) / (kv, chunk)
  std::vector<double> values;  // row-major over axes
  PolynomialRegressor extrapolator{1};
  OperatorProvenance provenance;

  std::optional<double> find(int64_t key0) const;
  std::optional<double> find(int64_t key0, int64_t key1) const;
  int64_t size() const { return static_cast<int64_t>(values.size()); }

  void save(BinaryWriter& out) const;
  static OperatorGrid load(BinaryReader& in);
};

}  // namespace infersweep::predict
