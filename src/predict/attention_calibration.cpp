#include "infersweep/predict/attention_calibration.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_table.hpp"

namespace infersweep::predict {

namespace fs = std::filesystem;

namespace {

using Field = double RooflineParameters::*;

struct FittedField {
  Field field;
  double start;  // see attention_fit_start()
  double lo, hi;
};

constexpr double kNoLimit = 1e6;

const std::array<FittedField, 5>& decode_fields() {
  static const std::array<FittedField, 5> fields{{
      {&RooflineParameters::attention_memory_efficiency, 0.7, 0.01, 1.0},
      {&RooflineParameters::decode_block_latency_us, 3.0, 0.0, kNoLimit},
      {&RooflineParameters::decode_wave_overhead_us, 3.0, 0.0, kNoLimit},
      {&RooflineParameters::decode_floor_us, 3.0, 0.0, kNoLimit},
      {&RooflineParameters::decode_split_combine_us, 3.0, 0.0, kNoLimit},
  }};
  return fields;
}

const std::array<FittedField, 5>& prefill_fields() {
  static const std::array<FittedField, 5> fields{{
      {&RooflineParameters::attention_compute_efficiency, 0.35, 0.01, 1.0},
      {&RooflineParameters::prefill_tile_latency_us, 1.5, 0.0, kNoLimit},
      {&RooflineParameters::prefill_wave_overhead_us, 5.0, 0.0, kNoLimit},
      {&RooflineParameters::prefill_floor_us, 80.0, 0.0, kNoLimit},
      {&RooflineParameters::prefill_floor_overlap, 0.3, 0.0, 1.0},
  }};
  return fields;
}

// --- minimising the mean absolute relative error --------------------------------------------

constexpr int kReweightingRounds = 8;
constexpr int kMaxIterations = 200;
// Relative errors below this weigh as this in the reweighting, so that rows fitted exactly do
// not take all the weight.
constexpr double kSmallestWeightedError = 0.01;

// The rows of one fit: each predicts its time from the constants in `p`.
struct Problem {
  std::vector<const AttentionSample*> rows;
  Eigen::VectorXd measured;
  const std::array<FittedField, 5>* fields;
  RooflineParameters base;

  RooflineParameters with(const Eigen::VectorXd& x) const {
    auto p = base;
    for (size_t j = 0; j < fields->size(); ++j) p.*((*fields)[j].field) = x(static_cast<Eigen::Index>(j));
    return p;
  }
  // Relative errors (predicted / measured - 1).
  void errors(const Eigen::VectorXd& x, Eigen::VectorXd& out) const {
    const auto p = with(x);
    out.resize(measured.size());
    for (Eigen::Index i = 0; i < measured.size(); ++i) out(i) = predicted_ms(*rows[i], p) / measured(i) - 1.0;
  }
};

Eigen::VectorXd clamp_to(const Problem& problem, Eigen::VectorXd x) {
  for (Eigen::Index j = 0; j < x.size(); ++j) {
    const auto& f = (*problem.fields)[static_cast<size_t>(j)];
    x(j) = std::clamp(x(j), f.lo, f.hi);
  }
  return x;
}

// Levenberg-Marquardt on the weighted relative errors, with bounds by projection and a
// forward-difference Jacobian (the model is piecewise smooth in its constants).
Eigen::VectorXd levenberg_marquardt(const Problem& problem, const Eigen::VectorXd& weights, Eigen::VectorXd x) {
  const Eigen::Index n = problem.measured.size(), k = x.size();
  Eigen::VectorXd e, trial_e;
  auto residuals = [&](const Eigen::VectorXd& at, Eigen::VectorXd& r) {
    problem.errors(at, r);
    r.array() *= weights.array();
  };
  residuals(x, e);
  double cost = e.squaredNorm(), lambda = 1e-3;
  Eigen::MatrixXd jacobian(n, k);
  for (int iteration = 0; iteration < kMaxIterations; ++iteration) {
    for (Eigen::Index j = 0; j < k; ++j) {
      const auto& f = (*problem.fields)[static_cast<size_t>(j)];
      double h = 1e-6 * std::max(std::abs(x(j)), 1e-2);
      if (x(j) + h > f.hi) h = -h;
      Eigen::VectorXd shifted = x;
      shifted(j) += h;
      residuals(shifted, trial_e);
      jacobian.col(j) = (trial_e - e) / h;
    }
    const Eigen::MatrixXd normal = jacobian.transpose() * jacobian;
    const Eigen::VectorXd gradient = jacobian.transpose() * e;
    bool improved = false;
    while (lambda < 1e12) {
      Eigen::MatrixXd damped = normal;
      damped.diagonal().array() += lambda * normal.diagonal().array() + 1e-12;
      const Eigen::VectorXd trial = clamp_to(problem, x - damped.ldlt().solve(gradient));
      residuals(trial, trial_e);
      const double trial_cost = trial_e.squaredNorm();
      if (trial_cost < cost) {
        const bool negligible = cost - trial_cost < 1e-12 * cost;
        x = trial;
        e = trial_e;
        cost = trial_cost;
        lambda = std::max(lambda / 3.0, 1e-9);
        improved = !negligible;
        break;
      }
      lambda *= 4.0;
    }
    if (!improved) break;
  }
  return x;
}

// Least absolute relative error by reweighting: squared errors weighted by 1/|error| sum to
// the absolute errors. Returns the round with the least mean absolute error.
Eigen::VectorXd fit_least_absolute_relative_error(const Problem& problem, Eigen::VectorXd x) {
  Eigen::VectorXd weights = Eigen::VectorXd::Ones(problem.measured.size()), e;
  Eigen::VectorXd best = x;
  double best_error = std::numeric_limits<double>::infinity();
  for (int round = 0; round < kReweightingRounds; ++round) {
    x = levenberg_marquardt(problem, weights, x);
    problem.errors(x, e);
    const double mean_error = e.array().abs().mean();
    if (mean_error < best_error) {
      best_error = mean_error;
      best = x;
    }
    weights = 1.0 / e.array().abs().max(kSmallestWeightedError).sqrt();
  }
  return best;
}

RooflineParameters fit_part(const std::vector<AttentionSample>& samples, bool prefill,
                            const std::array<FittedField, 5>& fields, const RooflineParameters& base) {
  Problem problem;
  problem.fields = &fields;
  problem.base = base;
  for (const auto& s : samples)
    if (s.is_prefill == prefill) problem.rows.push_back(&s);
  if (problem.rows.empty()) return base;
  problem.measured.resize(static_cast<Eigen::Index>(problem.rows.size()));
  for (size_t i = 0; i < problem.rows.size(); ++i) problem.measured(static_cast<Eigen::Index>(i)) = problem.rows[i]->ms;
  Eigen::VectorXd x(static_cast<Eigen::Index>(fields.size()));
  for (size_t j = 0; j < fields.size(); ++j) x(static_cast<Eigen::Index>(j)) = fields[j].start;
  return problem.with(fit_least_absolute_relative_error(problem, x));
}

// --- reading attention.csv ------------------------------------------------------------------

std::string model_label(const std::string& path) {
  const fs::path p(path);
  const auto model = p.parent_path(), org = model.parent_path(), gpu = org.parent_path();
  if (gpu.parent_path().filename() == "compute") return org.filename().string() + "/" + model.filename().string();
  return path;
}

int64_t read_count(const io::CsvTable& table, size_t row, size_t column, int64_t at_least) {
  const int64_t v = table.as_int64(row, column);
  if (v < at_least)
    throw InputError::in_file(table.path(), table.line_of(row), table.field(column),
                              "expected an integer >= " + std::to_string(at_least) + ", got " + std::to_string(v));
  return v;
}

}  // namespace

int64_t AttentionRows::decode_rows() const {
  return std::count_if(samples.begin(), samples.end(), [](const AttentionSample& s) { return !s.is_prefill; });
}

int64_t AttentionRows::prefill_rows() const {
  return std::count_if(samples.begin(), samples.end(), [](const AttentionSample& s) { return s.is_prefill; });
}

AttentionRows read_attention_rows(const std::vector<std::string>& files, const spec::GpuSpec& gpu) {
  AttentionRows rows;
  rows.gpu = gpu.name;
  const auto hardware = AttentionHardware::of(gpu);
  for (const auto& path : files) {
    const auto table = io::CsvTable::read(path);
    const auto embd = table.column("n_embd"), heads = table.column("n_q_head"), kv_heads = table.column("n_kv_head"),
               tp_column = table.column("num_tensor_parallel_workers"), batch = table.column("batch_size"),
               chunk = table.column("prefill_chunk_size"), kv = table.column("kv_cache_size"),
               decode_time = table.column("time_stats.attn_decode.median"),
               prefill_time = table.column("time_stats.attn_prefill.median");
    const auto model = static_cast<int64_t>(rows.models.size());
    rows.models.push_back(model_label(path));
    rows.sources.push_back(path);
    for (size_t row = 0; row < table.num_rows(); ++row) {
      spec::ModelSpec shape;
      shape.hidden_size = read_count(table, row, embd, 1);
      shape.num_q_heads = read_count(table, row, heads, 1);
      shape.num_kv_heads = read_count(table, row, kv_heads, 1);
      const int64_t tp = read_count(table, row, tp_column, 1);
      if (shape.num_q_heads % tp != 0 || shape.hidden_size % shape.num_q_heads != 0)
        throw InputError::in_file(path, table.line_of(row), table.field(tp_column),
                                  "TP " + std::to_string(tp) + " does not divide the " +
                                      std::to_string(shape.num_q_heads) + " query heads of hidden size " +
                                      std::to_string(shape.hidden_size));
      const auto attention = AttentionShape::of(spec::device_shape(shape, tp, 1));
      AttentionSample s;
      s.hardware = hardware;
      s.model = model;
      const int64_t chunk_tokens = read_count(table, row, chunk, 0), kv_tokens = read_count(table, row, kv, 0),
                    batch_size = read_count(table, row, batch, 1);
      s.shape = attention;
      s.batch_size = batch_size;
      s.kv_tokens = kv_tokens;
      s.chunk_tokens = chunk_tokens;
      s.is_prefill = chunk_tokens > 0;
      const auto time_column = s.is_prefill ? prefill_time : decode_time;
      s.ms = table.as_double(row, time_column);
      if (!(s.ms > 0) || !std::isfinite(s.ms))
        throw InputError::in_file(path, table.line_of(row), table.field(time_column),
                                  "expected a positive time in ms, got " + format_double(s.ms));
      if (s.is_prefill)
        s.prefill = prefill_work(attention, hardware, kv_tokens, chunk_tokens, batch_size);
      else
        s.decode = decode_work(attention, hardware, batch_size, kv_tokens);
      rows.samples.push_back(s);
    }
  }
  return rows;
}

std::vector<std::string> gpu_attention_files(const std::string& profiling_dir, const std::string& gpu,
                                             const std::string& except) {
  std::vector<std::string> files;
  const fs::path root = fs::path(profiling_dir) / "compute" / gpu;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
    if (!entry.is_regular_file() || entry.path().filename() != "attention.csv") continue;
    if (!except.empty() && fs::equivalent(entry.path(), except, ec)) continue;
    files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

double predicted_ms(const AttentionSample& s, const RooflineParameters& p) {
  return s.is_prefill ? prefill_time_ms(s.prefill, s.hardware, p) : decode_time_ms(s.decode, s.hardware, p);
}

AttentionErrors attention_errors(const std::vector<AttentionSample>& samples, const RooflineParameters& p) {
  AttentionErrors out;
  for (const auto& s : samples) {
    const double error = std::abs(predicted_ms(s, p) / s.ms - 1.0) * 100.0;
    if (s.is_prefill) {
      ++out.prefill_rows;
      out.prefill_mape += error;
    } else {
      ++out.decode_rows;
      out.decode_mape += error;
    }
  }
  if (out.decode_rows) out.decode_mape /= static_cast<double>(out.decode_rows);
  if (out.prefill_rows) out.prefill_mape /= static_cast<double>(out.prefill_rows);
  return out;
}

RooflineParameters attention_fit_start(const RooflineParameters& base) {
  auto p = base;
  for (const auto* fields : {&decode_fields(), &prefill_fields()})
    for (const auto& f : *fields) p.*(f.field) = f.start;
  return p;
}

std::vector<const config::Setting<RooflineParameters>*> attention_settings() {
  // A setting belongs to a fitted constant when writing that constant changes its text.
  std::vector<const config::Setting<RooflineParameters>*> out;
  const RooflineParameters reference;
  for (const auto& setting : roofline_settings().settings())
    for (const auto* fields : {&decode_fields(), &prefill_fields()})
      for (const auto& f : *fields) {
        auto probe = reference;
        probe.*(f.field) = reference.*(f.field) + 0.5;
        if (setting.text(probe) != setting.text(reference)) out.push_back(&setting);
      }
  return out;
}

AttentionCalibration calibrate_attention(const std::vector<AttentionSample>& samples, const RooflineParameters& base) {
  AttentionCalibration out;
  out.parameters = fit_part(samples, false, decode_fields(), base);
  out.parameters = fit_part(samples, true, prefill_fields(), out.parameters);
  out.errors = attention_errors(samples, out.parameters);
  return out;
}

}  // namespace infersweep::predict
