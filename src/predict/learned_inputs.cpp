#include "infersweep/predict/learned_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/common/version.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "infersweep/predict/attention_calibration.hpp"
#include "infersweep/predict/model_selection.hpp"
#include "infersweep/predict/profiling_data.hpp"

namespace infersweep::predict {

namespace fs = std::filesystem;

namespace {

// The models profiled on a GPU in one directory, for an error message.
std::string profiled_models(const std::string& root, const std::string& gpu) {
  const auto base = fs::path(root) / "compute" / gpu;
  std::string out;
  std::error_code ec;
  for (const auto& file : compute_files(root, gpu, "mlp.csv"))
    out += (out.empty() ? "" : ", ") + fs::relative(fs::path(file).parent_path(), base, ec).string();
  return out.empty() ? "nothing" : out;
}

// What one directory's mlp.csv offers the deployment.
struct MlpCandidate {
  const ProfilingSource* source;
  std::string file;
  MlpCoverage coverage;
  std::string missing;  // why it offers nothing, when it does not

  bool times(const std::string& op) const {
    return coverage.found &&
           std::find(coverage.operators.begin(), coverage.operators.end(), op) != coverage.operators.end();
  }
};

std::vector<MlpCandidate> mlp_candidates(const std::vector<ProfilingSource>& sources, const PredictorContext& c) {
  std::vector<MlpCandidate> out;
  for (const auto& s : sources) {
    MlpCandidate candidate{&s, mlp_file(s.root, c.gpu.name, c.model.name), {}, {}};
    if (!io::is_regular_file(candidate.file)) {
      candidate.missing = candidate.file + " does not exist (profiled on " + c.gpu.name +
                          " there: " + profiled_models(s.root, c.gpu.name) + ")";
    } else {
      candidate.coverage = mlp_coverage(candidate.file, c.model, c.tensor_parallel);
      if (!candidate.coverage.found) candidate.missing = candidate.file + ": " + candidate.coverage.found.missing;
    }
    out.push_back(std::move(candidate));
  }
  return out;
}

// The first file (in the order of `files`) for which `has_rows` finds rows; `tried` collects why
// each earlier one was passed over.
std::optional<std::string> first_with_rows(const std::vector<std::string>& files,
                                           const std::function<RowsFound(const std::string&)>& has_rows,
                                           std::vector<std::string>* tried) {
  for (const auto& f : files) {
    if (!io::is_regular_file(f)) {
      if (tried) tried->push_back(f + " does not exist");
      continue;
    }
    const auto found = has_rows(f);
    if (found) return f;
    if (tried) tried->push_back(f + ": " + found.missing);
  }
  return std::nullopt;
}

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : separator) + i;
  return out;
}

// The GPU whose fused rows calibrate element-wise estimates: the deployment's own if any fused
// directory profiled it, else, of the GPUs fused directories profiled and the specs describe,
// the one whose memory bandwidth is nearest.
std::optional<spec::GpuSpec> estimate_reference(const std::vector<ProfilingSource>& sources,
                                                const PredictorContext& c) {
  const auto fused_files = [&](const std::string& gpu) {
    return std::any_of(sources.begin(), sources.end(), [&](const ProfilingSource& s) {
      return s.elementwise == ElementwiseKernels::fused && !compute_files(s.root, gpu, "mlp.csv").empty();
    });
  };
  if (fused_files(c.gpu.name)) return c.gpu;
  std::optional<spec::GpuSpec> best;
  const auto distance = [&](const spec::GpuSpec& g) {
    return std::abs(g.memory_bandwidth_gbps - c.gpu.memory_bandwidth_gbps);
  };
  for (const auto& [name, gpu] : c.known_gpus)  // by name, so that a tie goes to the first
    if (name != c.gpu.name && fused_files(name) && (!best || distance(gpu) < distance(*best))) best = gpu;
  return best;
}

void resolve_mlp(const PredictorContext& c, LearnedPredictorInputs& in) {
  const auto candidates = mlp_candidates(in.sources, c);
  const auto gemm = std::find_if(candidates.begin(), candidates.end(),
                                 [](const MlpCandidate& m) { return static_cast<bool>(m.coverage.found); });
  if (gemm == candidates.end()) {
    std::vector<std::string> why;
    for (const auto& m : candidates) why.push_back(m.missing);
    throw InputError::setting("profiling-dir", "no profile of " + c.model.name + " on " + c.gpu.name + " at TP " +
                                                   std::to_string(c.tensor_parallel) + ": " + joined(why, "; "));
  }
  for (const auto& op : mlp_profile_operators()) {
    TokenOperatorSource source{op, gemm->file, false};
    if (is_elementwise_operator(op)) {
      const auto timed_by = [&](ElementwiseKernels kernels) {
        return std::find_if(candidates.begin(), candidates.end(),
                            [&](const MlpCandidate& m) { return m.source->elementwise == kernels && m.times(op); });
      };
      if (const auto fused = timed_by(ElementwiseKernels::fused); fused != candidates.end()) {
        source.file = fused->file;
      } else if (const auto eager = timed_by(ElementwiseKernels::eager); eager != candidates.end()) {
        source.file = eager->file;
        source.estimated = true;
      }
    }
    in.mlp_operators.push_back(source);
  }
  if (!in.any_estimated()) return;
  const auto reference = estimate_reference(in.sources, c);
  if (!reference) {
    std::vector<std::string> eager_ops, eager_files;
    for (const auto& m : in.mlp_operators)
      if (m.estimated) {
        eager_ops.push_back(m.op);
        if (std::find(eager_files.begin(), eager_files.end(), m.file) == eager_files.end())
          eager_files.push_back(m.file);
      }
    throw InputError::setting(
        "profiling-dir",
        joined(eager_ops, ", ") + " of " + c.model.name + " on " + c.gpu.name + ": only eager-PyTorch times (" +
            joined(eager_files, ", ") +
            "), and no directory with fused kernels profiled this GPU or another GPU the specs "
            "describe, to calibrate a fused-kernel estimate on (add one, e.g. Vidur's profiling data)");
  }
  in.estimate_gpu = *reference;
  for (const auto& s : in.sources)
    if (s.elementwise == ElementwiseKernels::fused)
      for (const auto& f : compute_files(s.root, reference->name, "mlp.csv")) in.estimate_files.push_back(f);
}

void resolve_attention(const PredictorContext& c, LearnedPredictorInputs& in) {
  const auto& s = c.config.learned;
  if (!s.attention_file.empty()) {
    if (!io::is_regular_file(s.attention_file))
      throw InputError::setting("attention-file", "'" + s.attention_file + "' does not exist");
    in.attention_file = s.attention_file;
    return;
  }
  const auto has_rows = [&](const std::string& f) {
    return attention_rows(f, c.model, c.tensor_parallel, c.block_size);
  };
  for (const auto& source : in.sources) {
    const auto own = attention_file(source.root, c.gpu.name, c.model.name);
    std::vector<std::string> files{own};
    for (const auto& f : compute_files(source.root, c.gpu.name, "attention.csv"))
      if (fs::path(f).lexically_normal() != fs::path(own).lexically_normal()) files.push_back(f);
    if (const auto found = first_with_rows(files, has_rows, nullptr)) {
      in.attention_file = *found;
      return;
    }
  }
}

// network/<profile>/<collective>.csv of the first directory with rows for the deployment.
std::string resolve_collective(const std::vector<ProfilingSource>& sources, const std::string& network_profile,
                               const std::string& collective, const std::string& need,
                               const std::function<RowsFound(const std::string&)>& has_rows) {
  std::vector<std::string> files, tried;
  for (const auto& s : sources) files.push_back(network_file(s.root, network_profile, collective));
  if (const auto found = first_with_rows(files, has_rows, &tried)) return *found;
  throw InputError::setting("profiling-dir", joined(tried, "; ") + ": " + need);
}

void resolve_network(const PredictorContext& c, LearnedPredictorInputs& in) {
  const auto& profile = c.node.network_profile;  // a node may borrow another node's profiles
  const auto measured_on = "measured on node " + profile +
                           (profile == c.node.name ? "" : " (node " + c.node.name + " borrows its network profiles)");
  if (c.tensor_parallel > 1)
    in.all_reduce_file =
        resolve_collective(in.sources, profile, "all_reduce",
                           "TP " + std::to_string(c.tensor_parallel) + " needs all-reduce times " + measured_on,
                           [&](const std::string& f) { return all_reduce_rows(f, c.tensor_parallel); });
  if (c.pipeline_parallel > 1)
    in.send_recv_file =
        resolve_collective(in.sources, profile, "send_recv",
                           "PP " + std::to_string(c.pipeline_parallel) + " needs send/recv times " + measured_on,
                           [&](const std::string& f) { return send_recv_rows(f, in.multi_node); });
}

}  // namespace

std::vector<std::string> LearnedPredictorInputs::files() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  const auto add = [&](const std::string& f) {
    if (!f.empty() && seen.insert(f).second) out.push_back(f);
  };
  for (const auto& s : sources) add(s.meta_file);
  for (const auto& m : mlp_operators) add(m.file);
  for (const auto* f : {&attention_file, &all_reduce_file, &send_recv_file, &cpu_overhead_file}) add(*f);
  for (const auto& f : estimate_files) add(f);
  for (const auto& f : calibration_files) add(f);
  return out;
}

bool LearnedPredictorInputs::any_estimated() const {
  return std::any_of(mlp_operators.begin(), mlp_operators.end(), [](const auto& m) { return m.estimated; });
}

std::vector<std::string> profiling_dirs_of(const LearnedPredictorSettings& settings) {
  return settings.profiling_dirs.empty() ? default_profiling_dirs() : settings.profiling_dirs;
}

LearnedPredictorInputs resolve_learned_inputs(const PredictorContext& c) {
  const auto& s = c.config.learned;
  LearnedPredictorInputs in;
  in.sources = read_profiling_sources(profiling_dirs_of(s));
  in.multi_node = c.tensor_parallel * c.pipeline_parallel > c.node.devices_per_node;
  resolve_mlp(c, in);
  resolve_attention(c, in);
  resolve_network(c, in);
  if (!s.cpu_overhead_file.empty()) {
    if (!io::is_regular_file(s.cpu_overhead_file))
      throw InputError::setting("cpu-overhead-file", "'" + s.cpu_overhead_file + "' does not exist");
    in.cpu_overhead_file = s.cpu_overhead_file;
  }
  for (const auto& source : in.sources)
    for (const auto& f : compute_files(source.root, c.gpu.name, "mlp.csv")) in.calibration_files.push_back(f);
  // The roofline's attention constants are fitted on this GPU's other models; the deployment's
  // own attention rows (if any) stay out, so that the fallback is never tested on its own data.
  for (const auto& source : in.sources)
    for (auto& f : gpu_attention_files(source.root, c.gpu.name, in.attention_file))
      in.calibration_files.push_back(std::move(f));
  in.max_tokens = s.max_tokens_per_request * (c.token_grid_spans_batch ? s.max_batch_size : 1);

  // The spec facts the grids depend on, every setting that decides the predictor, and which
  // file serves which operator (the directories' order and contents decide that).
  std::ostringstream t;
  const auto& m = c.model;
  t << "engine " << engine_version() << "\nmodel " << m.num_q_heads << ' ' << m.num_kv_heads << ' ' << m.hidden_size
    << ' ' << m.mlp_hidden_size << ' ' << m.gated_mlp << ' ' << m.vocab_size << ' ' << m.name << "\ngpu " << c.gpu.name
    << ' ' << format_double(c.gpu.fp16_tflops) << ' ' << format_double(c.gpu.memory_bandwidth_gbps) << "\nnode "
    << c.node.name << "\nmulti_node " << in.multi_node << "\ngrid " << in.max_tokens << "\nselection";
  for (const auto& spec : default_regressor_candidates()) t << ' ' << spec.label();
  t << "\n" << predictor_identity_text(c);
  for (const auto& source : in.sources) t << "source " << source.root << ' ' << to_string(source.elementwise) << '\n';
  for (const auto& op : in.mlp_operators)
    t << "operator " << op.op << ' ' << op.file << (op.estimated ? " estimated" : "") << '\n';
  t << "attention " << in.attention_file << '\n';
  if (in.any_estimated())
    t << "estimate_gpu " << in.estimate_gpu.name << ' ' << format_double(in.estimate_gpu.memory_bandwidth_gbps) << '\n';
  t << "files";
  for (const auto& f : in.files()) t << ' ' << f;
  in.settings = t.str();
  return in;
}

}  // namespace infersweep::predict
