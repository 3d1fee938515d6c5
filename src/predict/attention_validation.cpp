#include "infersweep/predict/attention_validation.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace infersweep::predict {

namespace {

// The previous roofline took its attention efficiencies in these ratios to the GEMM ones.
constexpr double kPreviousComputeRatio = 0.5 / 0.7;
constexpr double kPreviousMemoryRatio = 0.6 / 0.8;
constexpr double kBytesPerValue = 2.0;

std::vector<AttentionSample> rows_of_model(const AttentionRows& rows, int64_t model, bool keep) {
  std::vector<AttentionSample> out;
  for (const auto& s : rows.samples)
    if ((s.model == model) == keep) out.push_back(s);
  return out;
}

// Row-weighted mean of errors over parts.
void accumulate(AttentionErrors& total, const AttentionErrors& part) {
  const auto mean = [](double a, int64_t na, double b, int64_t nb) {
    return na + nb == 0 ? 0.0
                        : (a * static_cast<double>(na) + b * static_cast<double>(nb)) / static_cast<double>(na + nb);
  };
  total.decode_mape = mean(total.decode_mape, total.decode_rows, part.decode_mape, part.decode_rows);
  total.prefill_mape = mean(total.prefill_mape, total.prefill_rows, part.prefill_mape, part.prefill_rows);
  total.decode_rows += part.decode_rows;
  total.prefill_rows += part.prefill_rows;
}

int64_t model_count(const AttentionRows& rows) {
  std::set<int64_t> models;
  for (const auto& s : rows.samples) models.insert(s.model);
  return static_cast<int64_t>(models.size());
}

}  // namespace

double previous_roofline_attention_ms(const AttentionSample& s, const RooflineParameters& p) {
  const double hd = static_cast<double>(s.shape.head_dim), qh = static_cast<double>(s.shape.q_heads),
               kvh = static_cast<double>(s.shape.kv_heads), kv = static_cast<double>(s.kv_tokens);
  double flops = 0, bytes = 0;
  if (s.is_prefill) {
    const double c = static_cast<double>(s.chunk_tokens), prompts = static_cast<double>(s.batch_size);
    flops = prompts * 4.0 * hd * qh * (c * kv + 0.5 * c * c);
    bytes = prompts * kBytesPerValue * (2.0 * (kv + c) * hd * kvh + 2.0 * c * hd * qh);
  } else {
    const double b = static_cast<double>(s.batch_size);
    flops = 4.0 * b * kv * hd * qh;
    bytes = kBytesPerValue * (2.0 * b * kv * hd * kvh + 2.0 * b * hd * qh);
  }
  const double compute_s = flops / (s.hardware.peak_flops * kPreviousComputeRatio * p.compute_efficiency);
  const double memory_s = bytes / (s.hardware.bandwidth * kPreviousMemoryRatio * p.memory_efficiency);
  return std::max(compute_s, memory_s) * 1e3 + p.kernel_overhead_us * 1e-3;
}

AttentionErrors previous_roofline_errors(const std::vector<AttentionSample>& samples, const RooflineParameters& p) {
  AttentionErrors out;
  for (const auto& s : samples) {
    const double error = std::abs(previous_roofline_attention_ms(s, p) / s.ms - 1.0) * 100.0;
    AttentionErrors one;
    (s.is_prefill ? one.prefill_rows : one.decode_rows) = 1;
    (s.is_prefill ? one.prefill_mape : one.decode_mape) = error;
    accumulate(out, one);
  }
  return out;
}

LeaveOneModelOut leave_one_model_out(const GpuAttentionData& data, const RooflineParameters& base) {
  LeaveOneModelOut out;
  out.gpu = data.gpu.name;
  for (int64_t m = 0; m < static_cast<int64_t>(data.rows.models.size()); ++m) {
    const auto held_out = rows_of_model(data.rows, m, true);
    if (held_out.empty()) continue;
    const auto fitted = calibrate_attention(rows_of_model(data.rows, m, false), base);
    HeldOutModel result;
    result.model = data.rows.models[static_cast<size_t>(m)];
    result.before = previous_roofline_errors(held_out, data.gemms.parameters);
    result.after = attention_errors(held_out, fitted.parameters);
    accumulate(out.before, result.before);
    accumulate(out.after, result.after);
    out.models.push_back(result);
  }
  return out;
}

CrossCheck cross_gpu_check(const std::string& calibrated_on, const RooflineParameters& fitted,
                           const GpuAttentionData& tested) {
  CrossCheck out;
  out.calibrated_on = calibrated_on;
  out.tested_on = tested.gpu.name;
  out.before = previous_roofline_errors(tested.rows.samples, tested.gemms.parameters);
  out.after = attention_errors(tested.rows.samples, fitted);
  return out;
}

AttentionValidation validate_attention_model(const std::vector<GpuAttentionData>& gpus,
                                             const RooflineParameters& base) {
  AttentionValidation out;
  std::vector<const GpuAttentionData*> several, single;
  for (const auto& g : gpus) {
    const auto models = model_count(g.rows);
    if (models >= 2)
      several.push_back(&g);
    else if (models == 1)
      single.push_back(&g);
  }
  std::vector<AttentionSample> pooled;
  std::vector<RooflineParameters> fitted;
  for (const auto* g : several) {
    out.leave_one_out.push_back(leave_one_model_out(*g, base));
    out.pooled_gpus.push_back(g->gpu.name);
    pooled.insert(pooled.end(), g->rows.samples.begin(), g->rows.samples.end());
    fitted.push_back(calibrate_attention(g->rows.samples, base).parameters);
  }
  for (size_t a = 0; a < several.size(); ++a)
    for (size_t b = 0; b < several.size(); ++b)
      if (a != b) out.cross.push_back(cross_gpu_check(several[a]->gpu.name, fitted[a], *several[b]));
  for (const auto* t : single) {
    for (size_t a = 0; a < several.size(); ++a)
      out.cross.push_back(cross_gpu_check(several[a]->gpu.name, fitted[a], *t));
    out.cross.push_back(cross_gpu_check("defaults", base, *t));
  }
  if (!pooled.empty()) out.pooled = calibrate_attention(pooled, base);
  return out;
}

}  // namespace infersweep::predict
