#include "infersweep/predict/prediction_grid.hpp"

#include <stdexcept>

namespace infersweep::predict {

std::optional<double> OperatorGrid::find(int64_t key0) const {
  if (axes.size() != 1) return std::nullopt;
  const auto i = axes[0].index_of(key0);
  if (!i) return std::nullopt;
  return values[static_cast<size_t>(*i)];
}

std::optional<double> OperatorGrid::find(int64_t key0, int64_t key1) const {
  if (axes.size() != 2) return std::nullopt;
  const auto i = axes[0].index_of(key0);
  const auto j = axes[1].index_of(key1);
  if (!i || !j) return std::nullopt;
  return values[static_cast<size_t>(*i * axes[1].count + *j)];
}

void OperatorGrid::save(BinaryWriter& out) const {
  out.str(op);
  out.u64(axes.size());
  for (const auto& a : axes) out.i64(a.start), out.i64(a.step), out.i64(a.count);
  out.f64s(values);
  extrapolator.save(out);
  const auto& p = provenance;
  out.str(p.source);
  out.str(p.filter);
  out.i64(p.rows);
  out.str(p.chosen);
  out.str(p.selection.chosen.family);
  out.f64(p.selection.cv_mape);
  out.i64(p.selection.folds);
  out.u64(p.selection.candidates.size());
  for (const auto& c : p.selection.candidates) out.str(c.label), out.f64(c.cv_mape);
  out.i64(p.estimated);
  out.str(p.basis);
}

OperatorGrid OperatorGrid::load(BinaryReader& in) {
  OperatorGrid g;
  g.op = in.str();
  const auto n_axes = in.u64();
  if (n_axes > 2) throw std::runtime_error("grid record has too many axes");
  for (uint64_t i = 0; i < n_axes; ++i) {
    GridAxis a;
    a.start = in.i64(), a.step = in.i64(), a.count = in.i64();
    g.axes.push_back(a);
  }
  g.values = in.f64s();
  int64_t expected = 1;
  for (const auto& a : g.axes) expected *= a.count;
  if (expected != g.size()) throw std::runtime_error("grid record has the wrong number of values");
  g.extrapolator = PolynomialRegressor::load(in);
  auto& p = g.provenance;
  p.source = in.str();
  p.filter = in.str();
  p.rows = in.i64();
  p.chosen = in.str();
  p.selection.chosen.family = in.str();
  p.selection.cv_mape = in.f64();
  p.selection.folds = static_cast<int>(in.i64());
  const auto n = in.u64();
  for (uint64_t i = 0; i < n; ++i) {
    CandidateScore c;
    c.label = in.str();
    c.cv_mape = in.f64();
    p.selection.candidates.push_back(c);
  }
  p.estimated = in.i64() != 0;
  p.basis = in.str();
  return g;
}

}  // namespace infersweep::predict
