#include "infersweep/predict/elementwise_estimate.hpp"

#include <cmath>
#include <map>
#include <tuple>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/predict/profiling_data.hpp"
#include "infersweep/predict/roofline_model.hpp"

namespace infersweep::predict {

namespace {

TokenOp token_op_of(const std::string& op) {
  static const std::map<std::string, TokenOp> ops{{"mlp_act", TokenOp::mlp_act},
                                                  {"input_layernorm", TokenOp::input_layernorm},
                                                  {"post_attention_layernorm", TokenOp::post_attention_layernorm},
                                                  {"attn_rope", TokenOp::attn_rope},
                                                  {"add", TokenOp::add}};
  const auto it = ops.find(op);
  if (it == ops.end()) throw std::invalid_argument("not an element-wise operator: " + op);
  return it->second;
}

// One measurement: the bytes streamed, the time they take at the measuring GPU's full
// bandwidth, and the time measured.
struct Sample {
  double bytes;
  double full_bandwidth_ms;
  double ms;
  size_t file;
};

// The operator's rows of every file, with their bytes from each row's model shape and TP.
std::vector<Sample> read_samples(const std::string& op, const std::vector<std::string>& files, const spec::GpuSpec& gpu,
                                 std::vector<std::string>* used_files) {
  std::vector<Sample> samples;
  const auto token_op = token_op_of(op);
  for (const auto& path : files) {
    const auto table = io::CsvTable::read(path);
    const auto target = table.find_column("time_stats." + op + ".median");
    if (!target) continue;
    const auto heads = table.column("n_head"), kv_heads = table.column("n_kv_head"), embd = table.column("n_embd"),
               expanded = table.column("n_expanded_embd"), gated = table.column("use_gated_mlp"),
               tokens = table.column("num_tokens"), tp = table.column("num_tensor_parallel_workers");
    std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, bool, int64_t>, RooflineModel> models;
    const size_t file_index = used_files->size();
    const size_t before = samples.size();
    for (size_t row = 0; row < table.num_rows(); ++row) {
      if (trim(table.cell(row, *target)).empty()) continue;
      const double ms = table.as_double(row, *target);
      if (!(ms > 0))
        throw InputError::in_file(path, table.line_of(row), table.field(*target),
                                  "expected a positive time in ms, got " + format_double(ms));
      PredictorContext c;
      c.gpu = gpu;
      c.model.num_q_heads = table.as_int64(row, heads);
      c.model.num_kv_heads = table.as_int64(row, kv_heads);
      c.model.hidden_size = table.as_int64(row, embd);
      c.model.mlp_hidden_size = table.as_int64(row, expanded);
      c.model.gated_mlp = read_bool_cell(table, row, gated);
      c.tensor_parallel = table.as_int64(row, tp);
      if (c.model.num_q_heads <= 0 || c.tensor_parallel <= 0)
        throw InputError::in_file(path, table.line_of(row), "n_head",
                                  "expected positive head and tensor-parallel counts");
      const auto key = std::make_tuple(c.model.num_q_heads, c.model.num_kv_heads, c.model.hidden_size,
                                       c.model.mlp_hidden_size, c.model.gated_mlp, c.tensor_parallel);
      auto it = models.find(key);
      if (it == models.end()) it = models.emplace(key, RooflineModel(c)).first;
      const double bytes = it->second.token_op_cost(token_op, table.as_int64(row, tokens)).bytes;
      samples.push_back({bytes, bytes / (gpu.memory_bandwidth_gbps * 1e9) * 1e3, ms, file_index});
    }
    if (samples.size() > before) used_files->push_back(path);
  }
  return samples;
}

struct Fit {
  double floor_ms = 0, efficiency = 0;
};

// Least squares on the squares, each residual relative to the measured square:
// minimise sum(((O + K x^2) - y^2) / y^2)^2 over O = floor^2 >= 0 and K = 1 / efficiency^2,
// two normal equations in closed form. `skip_file` leaves one file's rows out.
bool fit(const std::vector<Sample>& samples, size_t skip_file, Fit* out) {
  double aa = 0, ab = 0, bb = 0, a1 = 0, b1 = 0;
  for (const auto& s : samples) {
    if (s.file == skip_file) continue;
    const double a = 1.0 / (s.ms * s.ms), b = s.full_bandwidth_ms * s.full_bandwidth_ms * a;
    aa += a * a, ab += a * b, bb += b * b, a1 += a, b1 += b;
  }
  const double det = aa * bb - ab * ab;
  if (!(bb > 0) || !(std::abs(det) > 1e-12 * aa * bb)) return false;
  double o = (a1 * bb - b1 * ab) / det, k = (aa * b1 - ab * a1) / det;
  if (o < 0) o = 0, k = b1 / bb;  // no floor: the bandwidth term alone
  if (!(k > 0)) return false;
  out->floor_ms = std::sqrt(o);
  out->efficiency = 1.0 / std::sqrt(k);
  return true;
}

double predict_ms(const Fit& f, double full_bandwidth_ms) {
  const double stream = full_bandwidth_ms / f.efficiency;
  return std::sqrt(f.floor_ms * f.floor_ms + stream * stream);
}

}  // namespace

double ElementwiseEstimate::ms(double bytes, double bandwidth_gbps) const {
  return predict_ms({floor_ms, efficiency}, bytes / (bandwidth_gbps * 1e9) * 1e3);
}

ElementwiseEstimate fit_elementwise_estimate(const std::string& op, const std::vector<std::string>& fused_mlp_files,
                                             const spec::GpuSpec& reference) {
  ElementwiseEstimate e;
  e.op = op;
  e.reference_gpu = reference.name;
  e.reference_bandwidth_gbps = reference.memory_bandwidth_gbps;
  const auto samples = read_samples(op, fused_mlp_files, reference, &e.files);
  e.rows = static_cast<int64_t>(samples.size());
  std::string listed;
  for (const auto& f : fused_mlp_files) listed += (listed.empty() ? "" : ", ") + f;
  if (samples.empty())
    throw InputError("no fused " + reference.name + " rows time " + op +
                     " to calibrate its estimate on (files: " + (listed.empty() ? std::string("none") : listed) + ")");
  Fit all;
  if (!fit(samples, e.files.size(), &all))
    throw InputError("the fused " + reference.name + " rows of " + op +
                     " do not determine a floor and a bandwidth (files: " + listed + ")");
  e.floor_ms = all.floor_ms;
  e.efficiency = all.efficiency;
  double in_sample = 0, out_of_model = 0;
  std::vector<Fit> without(e.files.size());
  bool cross_validated = e.files.size() >= 2;
  for (size_t f = 0; f < e.files.size() && cross_validated; ++f) cross_validated = fit(samples, f, &without[f]);
  for (const auto& s : samples) {
    in_sample += std::abs(predict_ms(all, s.full_bandwidth_ms) - s.ms) / s.ms;
    if (cross_validated) out_of_model += std::abs(predict_ms(without[s.file], s.full_bandwidth_ms) - s.ms) / s.ms;
  }
  e.fit_mape = in_sample / static_cast<double>(samples.size()) * 100.0;
  if (cross_validated) e.leave_one_model_out_mape = out_of_model / static_cast<double>(samples.size()) * 100.0;
  return e;
}

double elementwise_bytes(const PredictorContext& context, const std::string& op, int64_t num_tokens) {
  return RooflineModel(context).token_op_cost(token_op_of(op), num_tokens).bytes;
}

double elementwise_estimate_mape(const ElementwiseEstimate& estimate, const std::string& mlp_file,
                                 const spec::GpuSpec& gpu) {
  std::vector<std::string> used;
  const auto samples = read_samples(estimate.op, {mlp_file}, gpu, &used);
  if (samples.empty()) throw InputError(mlp_file + ": no times of " + estimate.op);
  double sum = 0;
  for (const auto& s : samples) sum += std::abs(estimate.ms(s.bytes, gpu.memory_bandwidth_gbps) - s.ms) / s.ms;
  return sum / static_cast<double>(samples.size()) * 100.0;
}

}  // namespace infersweep::predict
