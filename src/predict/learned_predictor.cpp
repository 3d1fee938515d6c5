#include "infersweep/predict/learned_predictor.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/predict/elementwise_estimate.hpp"
#include "infersweep/predict/grid_cache.hpp"

namespace infersweep::predict {

namespace fs = std::filesystem;

namespace {

constexpr TokenOp kTokenOps[] = {
    TokenOp::attn_pre_proj, TokenOp::attn_post_proj,    TokenOp::attn_rope,       TokenOp::mlp_up_proj,
    TokenOp::mlp_down_proj, TokenOp::mlp_act,           TokenOp::input_layernorm, TokenOp::post_attention_layernorm,
    TokenOp::add,           TokenOp::attn_kv_cache_save};

// Evaluates a fitted model on every lattice point of `axes`; `features` maps a point's keys to
// the model's features. A negative prediction (a polynomial's tail) would be a wrong number,
// so predictions are floored at zero.
std::vector<double> evaluate(const Regressor* model, const std::vector<GridAxis>& axes,
                             const std::function<void(int64_t, int64_t, double*)>& features, int num_features) {
  const int64_t n0 = axes[0].count, n1 = axes.size() > 1 ? axes[1].count : 1;
  std::vector<double> values(static_cast<size_t>(n0 * n1), 0.0);
  if (!model) return values;
  Eigen::MatrixXd x(n0 * n1, num_features);
  for (int64_t i = 0; i < n0; ++i)
    for (int64_t j = 0; j < n1; ++j) {
      double f[2] = {0, 0};
      features(axes[0].key(i), axes.size() > 1 ? axes[1].key(j) : 0, f);
      for (int c = 0; c < num_features; ++c) x(i * n1 + j, c) = f[c];
    }
  const Eigen::VectorXd p = model->predict(x);
  for (Eigen::Index k = 0; k < p.size(); ++k) values[static_cast<size_t>(k)] = std::max(0.0, p(k));
  return values;
}

// Rows in the upper half of the first feature: the asymptote a grid is extended along.
TrainingSet upper_half(const TrainingSet& data) {
  std::vector<double> keys(data.features.col(0).data(), data.features.col(0).data() + data.size());
  std::nth_element(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(keys.size() / 2), keys.end());
  const double median = keys[keys.size() / 2];
  std::vector<Eigen::Index> rows;
  for (Eigen::Index i = 0; i < data.size(); ++i)
    if (data.features(i, 0) >= median) rows.push_back(i);
  TrainingSet out = data;
  out.features = data.features(rows, Eigen::all);
  out.target = data.target(rows);
  return out;
}

OperatorGrid learn(const TrainingSet& data, std::vector<GridAxis> axes,
                   const std::function<void(int64_t, int64_t, double*)>& features, const PredictorContext& context) {
  const auto& s = context.config.learned;
  OperatorGrid grid;
  grid.op = data.op;
  grid.axes = std::move(axes);
  auto& p = grid.provenance;
  p.source = data.source;
  p.filter = data.filter;
  p.rows = data.size();
  const auto candidates = default_regressor_candidates();
  const auto folds = static_cast<int>(s.k_folds);
  p.selection = context.shared_selections ? context.shared_selections->select(data, candidates, folds, s.seed)
                                          : select_regressor(data, candidates, folds, s.seed);
  p.chosen = p.selection.chosen.family == "zero" ? "zero (no time measured)" : p.selection.chosen.label();
  const auto model = fit_selected(data, p.selection.chosen, s.seed);
  grid.values = evaluate(model.get(), grid.axes, features, static_cast<int>(data.features.cols()));
  // One feature: a straight line through the upper half (GEMMs and copies grow linearly
  // there); two (attention): a quadratic surface with the interaction term.
  const bool one_feature = data.features.cols() == 1;
  grid.extrapolator = PolynomialRegressor(one_feature ? 1 : 2);
  const auto fit_rows = one_feature ? upper_half(data) : data;
  grid.extrapolator.fit(fit_rows.features, fit_rows.target, s.seed);
  return grid;
}

// An element-wise operator of which only eager-PyTorch rows exist: the fused-kernel estimate,
// evaluated on the token grid. `eager` are the rows it stands in for (the report names them).
OperatorGrid estimate(const TrainingSet& eager, const LearnedPredictorInputs& in, const GridAxis& axis,
                      const PredictorContext& context) {
  const auto e = fit_elementwise_estimate(eager.op, in.estimate_files, in.estimate_gpu);
  OperatorGrid grid;
  grid.op = eager.op;
  grid.axes = {axis};
  TrainingSet points = eager;
  points.features.resize(axis.count, 1);
  points.target.resize(axis.count);
  for (int64_t i = 0; i < axis.count; ++i) {
    const auto n = axis.key(i);
    points.features(i, 0) = static_cast<double>(n);
    points.target(i) = e.ms(elementwise_bytes(context, eager.op, n), context.gpu.memory_bandwidth_gbps);
  }
  grid.values.assign(points.target.data(), points.target.data() + points.target.size());
  // The estimate is a straight line at large sizes: one through the grid's upper half continues it.
  const auto upper = upper_half(points);
  grid.extrapolator = PolynomialRegressor(1);
  grid.extrapolator.fit(upper.features, upper.target, context.config.learned.seed);
  auto& p = grid.provenance;
  p.source = eager.source;
  p.filter = eager.filter;
  p.rows = e.rows;
  p.estimated = true;
  char chosen[160];
  std::snprintf(chosen, sizeof chosen, "fused-kernel estimate: floor %.2f us, %.0f %% of bandwidth", e.floor_ms * 1e3,
                e.efficiency * 100.0);
  p.chosen = chosen;
  p.selection.chosen.family = "estimate";
  p.selection.cv_mape = e.leave_one_model_out_mape;
  p.selection.folds = static_cast<int>(e.files.size());
  p.basis = "fitted on " + std::to_string(e.rows) + " fused rows of " + std::to_string(e.files.size()) + " " +
            e.reference_gpu + " mlp.csv files" +
            (e.reference_gpu == context.gpu.name
                 ? std::string()
                 : " at " + format_double(e.reference_bandwidth_gbps) + " GB/s, evaluated at " + context.gpu.name +
                       "'s " + format_double(context.gpu.memory_bandwidth_gbps) + " GB/s");
  return grid;
}

GridAxis token_axis(int64_t max_tokens) { return {8, 8, (max_tokens + 7) / 8}; }

void token_feature(int64_t key, int64_t, double* f) { f[0] = static_cast<double>(key); }

}  // namespace

std::string token_op_name(TokenOp op) {
  switch (op) {
    case TokenOp::attn_pre_proj:
      return "attn_pre_proj";
    case TokenOp::attn_post_proj:
      return "attn_post_proj";
    case TokenOp::attn_rope:
      return "attn_rope";
    case TokenOp::mlp_up_proj:
      return "mlp_up_proj";
    case TokenOp::mlp_down_proj:
      return "mlp_down_proj";
    case TokenOp::mlp_act:
      return "mlp_act";
    case TokenOp::input_layernorm:
      return "input_layernorm";
    case TokenOp::post_attention_layernorm:
      return "post_attention_layernorm";
    case TokenOp::add:
      return "add";
    case TokenOp::attn_kv_cache_save:
      return "attn_kv_cache_save";
  }
  return "?";
}

LearnedPredictorState build_learned_state(const PredictorContext& c, const LearnedPredictorInputs& in) {
  LearnedPredictorState state;
  const auto& s = c.config.learned;
  const std::vector<GridAxis> tokens{token_axis(in.max_tokens)};
  // Each mlp.csv is read once, for the operators it serves.
  std::map<std::string, std::vector<TrainingSet>> mlp_rows;
  for (const auto& source : in.mlp_operators) {
    auto it = mlp_rows.find(source.file);
    if (it == mlp_rows.end())
      it = mlp_rows.emplace(source.file, read_mlp_profile(source.file, c.model, c.tensor_parallel)).first;
    const auto set =
        std::find_if(it->second.begin(), it->second.end(), [&](const TrainingSet& t) { return t.op == source.op; });
    state.operators[source.op] =
        source.estimated ? estimate(*set, in, tokens[0], c) : learn(*set, tokens, token_feature, c);
  }

  if (!in.attention_file.empty()) {
    const auto profile = read_attention_profile(in.attention_file, c.model, c.tensor_parallel, c.block_size);
    const int64_t g = c.config.kv_cache_prediction_granularity;
    const GridAxis kv{0, g, s.max_tokens_per_request / g + 1};
    state.operators["attn_decode"] = learn(
        profile.decode, {GridAxis{1, 1, s.max_batch_size}, kv},
        [](int64_t b, int64_t k, double* f) { f[0] = static_cast<double>(b), f[1] = static_cast<double>(k); }, c);
    state.operators["attn_prefill"] = learn(
        profile.prefill, {kv, GridAxis{1, 1, s.max_prefill_chunk_size}},
        [](int64_t k, int64_t chunk, double* f) {
          f[0] = static_cast<double>(k);
          f[1] = static_cast<double>(chunk) * static_cast<double>(chunk);
        },
        c);
    if (profile.kv_cache_save.size() > 0)
      state.operators["attn_kv_cache_save"] =
          learn(profile.kv_cache_save, {GridAxis{1, 1, in.max_tokens}}, token_feature, c);
    state.attention_measured = true;
  }
  if (!in.all_reduce_file.empty())
    state.operators["all_reduce"] =
        learn(read_all_reduce_profile(in.all_reduce_file, c.model, c.tensor_parallel), tokens, token_feature, c);
  if (!in.send_recv_file.empty())
    state.operators["send_recv"] =
        learn(read_send_recv_profile(in.send_recv_file, c.model, in.multi_node), tokens, token_feature, c);
  if (!in.cpu_overhead_file.empty()) {
    for (const auto& set : read_cpu_overhead_profile(in.cpu_overhead_file, c.model, c.tensor_parallel))
      state.operators[set.op] = learn(set, {GridAxis{1, 1, s.max_batch_size}}, token_feature, c);
    state.cpu_overhead_modelled = true;
  }
  state.calibration = calibrate_roofline(in.calibration_files, c.gpu, c.config.roofline);
  return state;
}

std::string LearnedPredictorState::serialize() const {
  BinaryWriter out;
  out.u64(operators.size());
  for (const auto& [name, grid] : operators) grid.save(out);
  write_roofline_calibration(out, calibration);
  out.i64(attention_measured);
  out.i64(cpu_overhead_modelled);
  return out.bytes();
}

LearnedPredictorState LearnedPredictorState::deserialize(const std::string& bytes) {
  BinaryReader in(bytes);
  LearnedPredictorState state;
  const auto n = in.u64();
  for (uint64_t i = 0; i < n; ++i) {
    auto grid = OperatorGrid::load(in);
    state.operators[grid.op] = std::move(grid);
  }
  state.calibration = read_roofline_calibration(in);
  state.attention_measured = in.i64() != 0;
  state.cpu_overhead_modelled = in.i64() != 0;
  if (!in.at_end()) throw std::runtime_error("trailing bytes in learned-predictor record");
  return state;
}

std::shared_ptr<const LearnedPredictorState> load_or_build_learned_state(const PredictorContext& c,
                                                                         LearnedStateOrigin* origin) {
  const auto inputs = resolve_learned_inputs(c);
  ContentHash hash;
  hash.add(inputs.settings);
  for (const auto& f : inputs.files()) hash.add_file(f);
  LearnedStateOrigin o;
  o.key = hash.hex();
  const auto& dir_setting = c.config.learned.cache_dir;
  const std::string dir = dir_setting == "none" ? "" : dir_setting.empty() ? default_cache_dir() : dir_setting;
  std::string model_tag = c.model.name;
  for (auto& ch : model_tag)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '.') ch = '_';
  const std::string name = "learned-" + model_tag + "-" + c.gpu.name + "-tp" + std::to_string(c.tensor_parallel) + "-" +
                           o.key.substr(0, 16) + ".grid";
  if (!dir.empty()) o.cache_file = (fs::path(dir) / name).string();

  std::shared_ptr<const LearnedPredictorState> state;
  if (auto payload = read_cache_entry(dir, name, o.key)) {
    try {
      state = std::make_shared<const LearnedPredictorState>(LearnedPredictorState::deserialize(*payload));
      o.from_cache = true;
    } catch (const std::exception&) {
      state.reset();  // a damaged entry is rebuilt and replaced below
    }
  }
  if (!state) {
    const auto start = std::chrono::steady_clock::now();
    auto built = build_learned_state(c, inputs);
    o.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_cache_entry(dir, name, o.key, built.serialize());
    state = std::make_shared<const LearnedPredictorState>(std::move(built));
  }
  if (origin) *origin = o;
  return state;
}

// --- the operator model ---------------------------------------------------------------------

namespace {
PredictorContext with_roofline(PredictorContext c, const RooflineParameters& p) {
  c.config.roofline = p;
  return c;
}
const OperatorGrid* find_grid(const LearnedPredictorState& s, const std::string& name) {
  const auto it = s.operators.find(name);
  return it == s.operators.end() ? nullptr : &it->second;
}
}  // namespace

LearnedOperatorModel::LearnedOperatorModel(const PredictorContext& context,
                                           std::shared_ptr<const LearnedPredictorState> state)
    : state_(std::move(state)), roofline_(with_roofline(context, state_->calibration.parameters)) {
  for (auto op : kTokenOps) {
    token_ops_[static_cast<size_t>(op)] = find_grid(*state_, token_op_name(op));
    if (!token_ops_[static_cast<size_t>(op)] && op != TokenOp::attn_kv_cache_save)
      throw InputError("learned predictor: no model for operator " + token_op_name(op));
  }
  decode_ = find_grid(*state_, "attn_decode");
  prefill_ = find_grid(*state_, "attn_prefill");
  if (context.tensor_parallel > 1 && !(all_reduce_ = find_grid(*state_, "all_reduce")))
    throw InputError("learned predictor: no all-reduce model for TP " + std::to_string(context.tensor_parallel));
  if (context.pipeline_parallel > 1 && !(send_recv_ = find_grid(*state_, "send_recv")))
    throw InputError("learned predictor: no send/recv model for PP " + std::to_string(context.pipeline_parallel));
  if (state_->cpu_overhead_modelled)
    for (const auto& op : cpu_overhead_operators()) cpu_overheads_.push_back(find_grid(*state_, op));
}

double LearnedOperatorModel::lookup(const OperatorGrid& grid, int64_t key) const {
  if (auto v = grid.find(key)) return *v;
  out_of_grid_.fetch_add(1, std::memory_order_relaxed);
  const double feature = static_cast<double>(key);
  return std::max(0.0, grid.extrapolator.predict_one(&feature));
}

double LearnedOperatorModel::lookup(const OperatorGrid& grid, int64_t key0, int64_t key1, double feature1) const {
  if (auto v = grid.find(key0, key1)) return *v;
  out_of_grid_.fetch_add(1, std::memory_order_relaxed);
  const double features[2] = {static_cast<double>(key0), feature1};
  return std::max(0.0, grid.extrapolator.predict_one(features));
}

double LearnedOperatorModel::token_op_ms(TokenOp op, int64_t num_tokens) const {
  const auto* grid = token_ops_[static_cast<size_t>(op)];
  return grid ? lookup(*grid, num_tokens) : roofline_.token_op_ms(op, num_tokens);
}

double LearnedOperatorModel::decode_attention_ms(int64_t batch_size, int64_t kv_tokens) const {
  if (!decode_) return roofline_.decode_attention_ms(batch_size, kv_tokens);
  return lookup(*decode_, batch_size, kv_tokens, static_cast<double>(kv_tokens));
}

double LearnedOperatorModel::prefill_attention_ms(int64_t kv_tokens, int64_t chunk_sq) const {
  if (!prefill_) return roofline_.prefill_attention_ms(kv_tokens, chunk_sq);
  auto chunk = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(chunk_sq))));
  if (chunk * chunk != chunk_sq) chunk = -1;  // not a lattice point
  return lookup(*prefill_, kv_tokens, chunk, static_cast<double>(chunk_sq));
}

double LearnedOperatorModel::all_reduce_ms(int64_t num_tokens) const {
  return all_reduce_ ? lookup(*all_reduce_, num_tokens) : 0.0;
}

double LearnedOperatorModel::send_recv_ms(int64_t num_tokens) const {
  return send_recv_ ? lookup(*send_recv_, num_tokens) : 0.0;
}

double LearnedOperatorModel::cpu_overhead_ms(int64_t batch_size) const {
  double sum = 0;
  for (const auto* grid : cpu_overheads_) sum += lookup(*grid, batch_size);
  return sum;
}

}  // namespace infersweep::predict
