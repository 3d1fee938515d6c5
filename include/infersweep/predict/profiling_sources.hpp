#pragma once
// The profiling directories the learned predictor reads, in the order given. Each is a root in
// Vidur's layout (compute/<sku>/<org>/<model>/{mlp,attention}.csv, network/<node>/*.csv) and
// may say in a meta.json at its root how its element-wise kernels (norms, activation, rotary
// embedding, residual add) ran: fused, as in a serving engine, or as eager PyTorch operators,
// which take several times as long. Which directory serves which operator is decided in
// learned_inputs.hpp.
#include <string>
#include <vector>

namespace infersweep::predict {

enum class ElementwiseKernels { fused, eager };
const char* to_string(ElementwiseKernels kernels);  // "fused" | "eager"

struct ProfilingSource {
  std::string root;
  ElementwiseKernels elementwise = ElementwiseKernels::fused;
  std::string meta_file;  // <root>/meta.json, empty when the directory has none
  std::string why;        // how `elementwise` was decided, in words
};

// The meta.json key that says how a directory's element-wise kernels ran.
inline constexpr const char* kElementwiseKernelsKey = "elementwise_kernels";

// How the element-wise kernels of a directory with this meta.json ran: the value of
// "elementwise_kernels" ("eager" or "fused"); without that key, eager if the file names
// "torch" (a PyTorch profiler's record), else fused. `why` receives the reason in words.
// Throws InputError naming the file (and line) for a file that is not a JSON object or a value
// other than those two.
ElementwiseKernels read_elementwise_kernels(const std::string& meta_file, std::string* why = nullptr);

// $INFERSWEEP_PROFILING_DIR (a comma-separated list), else the directories the build found:
// Vidur's profiling data, then each folder of the measured GPU profiles.
std::vector<std::string> default_profiling_dirs();

// The directories in order, each checked: it exists, is no repeat of an earlier one, holds
// compute/ or network/, and its meta.json (if any) reads. Errors name the setting and the
// entry at fault by position and path.
std::vector<ProfilingSource> read_profiling_sources(const std::vector<std::string>& dirs);

// Where a directory keeps each file.
std::string mlp_file(const std::string& root, const std::string& gpu, const std::string& model_name);
std::string attention_file(const std::string& root, const std::string& gpu, const std::string& model_name);
// compute/<gpu>/**/<file_name> under `root`, in path order; empty if none.
std::vector<std::string> compute_files(const std::string& root, const std::string& gpu, const std::string& file_name);
// network/<profile>/<collective>.csv: `network_profile` is the name of the node whose
// collectives were measured (the node itself unless its spec borrows another's).
std::string network_file(const std::string& root, const std::string& network_profile, const std::string& collective);

}  // namespace infersweep::predict
