#include "infersweep/predict/roofline_calibration.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>

#include "infersweep/io/csv_table.hpp"
#include "infersweep/predict/attention_calibration.hpp"
#include "infersweep/predict/regressor.hpp"
#include "infersweep/predict/roofline_model.hpp"

namespace infersweep::predict {

namespace fs = std::filesystem;

namespace {

struct GemmSample {
  double flops, bytes, ms;
};

struct Fit {
  double compute_efficiency, memory_efficiency, overhead_ms, error;
};

Fit evaluate(const std::vector<GemmSample>& samples, double peak_flops, double bandwidth, double ce, double me) {
  // With r_i the roofline time and e_i = (r_i - y_i) / y_i, the overhead o minimising
  // sum((r_i + o - y_i) / y_i)^2 is -sum(e_i / y_i) / sum(1 / y_i^2); it cannot be negative.
  // The error then expands to sum(e_i^2) + 2 o sum(e_i / y_i) + o^2 sum(1 / y_i^2): one pass.
  double e2 = 0, e_over_y = 0, inv_y2 = 0;
  for (const auto& s : samples) {
    const double r = std::max(s.flops / (peak_flops * ce), s.bytes / (bandwidth * me)) * 1e3;
    const double e = (r - s.ms) / s.ms;
    e2 += e * e;
    e_over_y += e / s.ms;
    inv_y2 += 1.0 / (s.ms * s.ms);
  }
  const double o = std::max(0.0, -e_over_y / inv_y2);
  return {ce, me, o, e2 + 2.0 * o * e_over_y + o * o * inv_y2};
}

Fit search(const std::vector<GemmSample>& samples, double peak, double bw, double lo_c, double hi_c, double lo_m,
           double hi_m, double step) {
  Fit best{0, 0, 0, std::numeric_limits<double>::infinity()};
  for (double ce = lo_c; ce <= hi_c + 1e-9; ce += step)
    for (double me = lo_m; me <= hi_m + 1e-9; me += step) {
      const auto f = evaluate(samples, peak, bw, ce, me);
      if (f.error < best.error) best = f;
    }
  return best;
}

}  // namespace

std::vector<std::string> gpu_mlp_files(const std::string& profiling_dir, const std::string& gpu) {
  std::vector<std::string> files;
  const fs::path root = fs::path(profiling_dir) / "compute" / gpu;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(root, ec))
    if (entry.is_regular_file() && entry.path().filename() == "mlp.csv") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

namespace {

void calibrate_gemms(const std::vector<std::string>& mlp_files, const spec::GpuSpec& gpu, RooflineCalibration& result) {
  static const std::vector<std::pair<TokenOp, std::string>> gemms{{TokenOp::attn_pre_proj, "attn_pre_proj"},
                                                                  {TokenOp::attn_post_proj, "attn_post_proj"},
                                                                  {TokenOp::mlp_up_proj, "mlp_up_proj"},
                                                                  {TokenOp::mlp_down_proj, "mlp_down_proj"}};
  std::vector<GemmSample> samples;
  for (const auto& path : mlp_files) {
    const auto table = io::CsvTable::read(path);
    const auto heads = table.column("n_head"), kv_heads = table.column("n_kv_head"), embd = table.column("n_embd"),
               expanded = table.column("n_expanded_embd"), gated = table.column("use_gated_mlp"),
               tokens = table.column("num_tokens"), tp_column = table.column("num_tensor_parallel_workers");
    std::vector<size_t> targets;
    for (const auto& g : gemms) targets.push_back(table.column("time_stats." + g.second + ".median"));
    std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, bool, int64_t>, RooflineModel> models;
    for (size_t row = 0; row < table.num_rows(); ++row) {
      PredictorContext context;
      context.model.num_q_heads = table.as_int64(row, heads);
      context.model.num_kv_heads = table.as_int64(row, kv_heads);
      context.model.hidden_size = table.as_int64(row, embd);
      context.model.mlp_hidden_size = table.as_int64(row, expanded);
      context.model.gated_mlp = read_bool_cell(table, row, gated);
      context.tensor_parallel = table.as_int64(row, tp_column);
      context.gpu = gpu;
      const auto key = std::make_tuple(context.model.num_q_heads, context.model.num_kv_heads, context.model.hidden_size,
                                       context.model.mlp_hidden_size, context.model.gated_mlp, context.tensor_parallel);
      auto it = models.find(key);
      if (it == models.end()) it = models.emplace(key, RooflineModel(context)).first;
      const auto n = table.as_int64(row, tokens);
      for (size_t g_index = 0; g_index < gemms.size(); ++g_index) {
        const double ms = table.as_double(row, targets[g_index]);
        if (!(ms > 0)) continue;
        const auto cost = it->second.token_op_cost(gemms[g_index].first, n);
        samples.push_back({cost.flops, cost.bytes, ms});
      }
    }
    result.sources.push_back(path);
  }
  result.rows = static_cast<int64_t>(samples.size());
  if (samples.empty()) return;

  const double peak = gpu.fp16_tflops * 1e12, bw = gpu.memory_bandwidth_gbps * 1e9;
  auto best = search(samples, peak, bw, 0.05, 1.0, 0.05, 1.0, 0.05);
  best = search(samples, peak, bw, std::max(0.01, best.compute_efficiency - 0.05),
                std::min(1.0, best.compute_efficiency + 0.05), std::max(0.01, best.memory_efficiency - 0.05),
                std::min(1.0, best.memory_efficiency + 0.05), 0.005);

  auto& p = result.parameters;
  // The grid's steps accumulate rounding (1 can come out as 1.0000000000000002), and an
  // efficiency above 1 is outside the settings' range, which the cache record is checked against.
  p.compute_efficiency = std::min(1.0, best.compute_efficiency);
  p.memory_efficiency = std::min(1.0, best.memory_efficiency);
  p.kernel_overhead_us = best.overhead_ms * 1e3;

  double mape = 0;
  for (const auto& s : samples) {
    const double r = std::max(s.flops / (peak * p.compute_efficiency), s.bytes / (bw * p.memory_efficiency)) * 1e3 +
                     best.overhead_ms;
    mape += std::abs(r - s.ms) / s.ms * 100.0;
  }
  result.gemm_mape = mape / static_cast<double>(samples.size());
}

}  // namespace

RooflineCalibration calibrate_roofline(const std::vector<std::string>& files, const spec::GpuSpec& gpu,
                                       const RooflineParameters& defaults) {
  std::vector<std::string> mlp_files, attention_files;
  for (const auto& path : files)
    (fs::path(path).filename() == "attention.csv" ? attention_files : mlp_files).push_back(path);
  RooflineCalibration result;
  result.parameters = defaults;
  if (!attention_files.empty()) {
    const auto rows = read_attention_rows(attention_files, gpu);
    const auto fitted = calibrate_attention(rows.samples, defaults);
    result.parameters = fitted.parameters;
    result.attention = fitted.errors;
    result.attention_sources = attention_files;
  }
  calibrate_gemms(mlp_files, gpu, result);
  return result;
}

void write_roofline_calibration(BinaryWriter& out, const RooflineCalibration& c) {
  const auto& settings = roofline_settings().settings();
  out.u64(settings.size());
  for (const auto& setting : settings) {
    out.str(setting.name());
    out.str(setting.text(c.parameters));
  }
  out.f64(c.gemm_mape);
  out.i64(c.rows);
  out.i64(c.attention.decode_rows);
  out.i64(c.attention.prefill_rows);
  out.f64(c.attention.decode_mape);
  out.f64(c.attention.prefill_mape);
  for (const auto* files : {&c.sources, &c.attention_sources}) {
    out.u64(files->size());
    for (const auto& source : *files) out.str(source);
  }
}

RooflineCalibration read_roofline_calibration(BinaryReader& in) {
  RooflineCalibration c;
  const auto& group = roofline_settings();
  const auto settings_count = in.u64();
  if (settings_count != group.settings().size()) throw std::runtime_error("roofline record of another engine version");
  for (uint64_t i = 0; i < settings_count; ++i) {
    const auto name = in.str();
    const auto* setting = group.find(name);
    if (!setting) throw std::runtime_error("roofline record names no setting '" + name + "'");
    setting->assign(c.parameters, in.str());
  }
  c.gemm_mape = in.f64();
  c.rows = in.i64();
  c.attention.decode_rows = in.i64();
  c.attention.prefill_rows = in.i64();
  c.attention.decode_mape = in.f64();
  c.attention.prefill_mape = in.f64();
  for (auto* files : {&c.sources, &c.attention_sources}) {
    const auto files_count = in.u64();
    for (uint64_t i = 0; i < files_count; ++i) files->push_back(in.str());
  }
  return c;
}

AttentionCheck check_roofline_attention(const AttentionProfile& profile, const OperatorTimeModel& roofline) {
  AttentionCheck check;
  check.source = profile.decode.source;
  check.decode_rows = profile.decode.size();
  check.prefill_rows = profile.prefill.size();
  Eigen::VectorXd decode(profile.decode.size()), prefill(profile.prefill.size());
  for (Eigen::Index i = 0; i < decode.size(); ++i)
    decode(i) = roofline.decode_attention_ms(static_cast<int64_t>(profile.decode.features(i, 0)),
                                             static_cast<int64_t>(profile.decode.features(i, 1)));
  for (Eigen::Index i = 0; i < prefill.size(); ++i)
    prefill(i) = roofline.prefill_attention_ms(static_cast<int64_t>(profile.prefill.features(i, 0)),
                                               static_cast<int64_t>(profile.prefill.features(i, 1)));
  check.decode_mape = mean_absolute_percentage_error(profile.decode.target, decode);
  check.prefill_mape = mean_absolute_percentage_error(profile.prefill.target, prefill);
  return check;
}

}  // namespace infersweep::predict
