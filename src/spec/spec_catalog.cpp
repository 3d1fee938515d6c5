#include "infersweep/spec/spec_catalog.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "infersweep/common/error.hpp"
#include "infersweep/spec/key_value_file.hpp"

#ifndef INFERSWEEP_SOURCE_DATA_DIR
#define INFERSWEEP_SOURCE_DATA_DIR "data"
#endif

namespace fs = std::filesystem;

namespace infersweep::spec {

namespace {

void require_positive(const std::string& path, const std::string& key, double value) {
  if (!(value > 0)) throw InputError::in_file(path, 0, key, "must be positive");
}

std::vector<std::string> spec_files(const fs::path& dir) {
  std::vector<std::string> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".ini") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

template <class Map>
std::string known_names(const Map& map) {
  std::string out;
  for (const auto& entry : map) out += (out.empty() ? "" : ", ") + entry.first;
  return out.empty() ? "none: is the data directory right?" : out;
}

}  // namespace

ModelSpec read_model_spec(const std::string& path) {
  auto file = KeyValueFile::read(path);
  ModelSpec m;
  m.name = file.text("name");
  m.num_layers = file.integer("num_layers");
  m.num_q_heads = file.integer("num_q_heads");
  m.num_kv_heads = file.integer("num_kv_heads");
  m.hidden_size = file.integer("hidden_size");
  m.mlp_hidden_size = file.integer("mlp_hidden_size");
  m.gated_mlp = file.boolean("gated_mlp");
  m.vocab_size = file.integer("vocab_size");
  m.norm = file.text("norm");
  m.post_attention_norm = file.boolean("post_attention_norm");
  m.max_position_embeddings = file.integer("max_position_embeddings");
  file.reject_unused();
  m.source_file = path;
  for (const auto& [key, value] : {std::pair<const char*, int64_t>{"num_layers", m.num_layers},
                                   {"num_q_heads", m.num_q_heads},
                                   {"num_kv_heads", m.num_kv_heads},
                                   {"hidden_size", m.hidden_size},
                                   {"mlp_hidden_size", m.mlp_hidden_size},
                                   {"vocab_size", m.vocab_size},
                                   {"max_position_embeddings", m.max_position_embeddings}})
    require_positive(path, key, static_cast<double>(value));
  if (m.hidden_size % m.num_q_heads != 0)
    throw InputError::in_file(path, 0, "hidden_size", "must be a multiple of num_q_heads");
  if (m.num_q_heads % m.num_kv_heads != 0)
    throw InputError::in_file(path, 0, "num_kv_heads", "must divide num_q_heads");
  if (m.norm != "rms_norm" && m.norm != "layer_norm")
    throw InputError::in_file(path, 0, "norm", "expected rms_norm or layer_norm, got '" + m.norm + "'");
  return m;
}

GpuSpec read_gpu_spec(const std::string& path) {
  auto file = KeyValueFile::read(path);
  GpuSpec g;
  g.name = file.text("name");
  g.description = file.text_or("description", "");
  g.fp16_tflops = file.number("fp16_tflops");
  g.memory_gib = file.number("memory_gib");
  g.memory_bandwidth_gbps = file.number("memory_bandwidth_gbps");
  g.sm_count = file.integer("sm_count");
  g.price_per_hour = file.number("price_per_hour");
  g.price_source = file.text("price_source");
  g.price_date = file.text("price_date");
  file.reject_unused();
  g.source_file = path;
  require_positive(path, "fp16_tflops", g.fp16_tflops);
  require_positive(path, "memory_gib", g.memory_gib);
  require_positive(path, "memory_bandwidth_gbps", g.memory_bandwidth_gbps);
  require_positive(path, "sm_count", static_cast<double>(g.sm_count));
  require_positive(path, "price_per_hour", g.price_per_hour);
  return g;
}

NodeSpec read_node_spec(const std::string& path) {
  auto file = KeyValueFile::read(path);
  NodeSpec n;
  n.name = file.text("name");
  n.gpu = file.text("gpu");
  n.devices_per_node = file.integer("devices_per_node");
  n.intra_node_bandwidth_gbps = file.number("intra_node_bandwidth_gbps");
  n.intra_node_latency_us = file.number("intra_node_latency_us");
  n.inter_node_bandwidth_gbps = file.number("inter_node_bandwidth_gbps");
  n.inter_node_latency_us = file.number("inter_node_latency_us");
  n.network_profile = file.text_or("network_profile", n.name);
  file.reject_unused();
  n.source_file = path;
  require_positive(path, "devices_per_node", static_cast<double>(n.devices_per_node));
  require_positive(path, "intra_node_bandwidth_gbps", n.intra_node_bandwidth_gbps);
  require_positive(path, "inter_node_bandwidth_gbps", n.inter_node_bandwidth_gbps);
  if (n.intra_node_latency_us < 0 || n.inter_node_latency_us < 0)
    throw InputError::in_file(path, 0, "latency", "must not be negative");
  return n;
}

namespace {

// Refuses a second spec of the same name, naming both files.
template <class Spec>
void add_unique(std::map<std::string, Spec>& specs, Spec spec, const char* kind) {
  const auto existing = specs.find(spec.name);
  if (existing != specs.end())
    throw InputError::in_file(
        spec.source_file, 0, "name",
        std::string(kind) + " '" + spec.name + "' is already defined in " + existing->second.source_file);
  specs.emplace(spec.name, std::move(spec));
}

}  // namespace

void SpecCatalog::add_model(ModelSpec model) { add_unique(models_, std::move(model), "model"); }
void SpecCatalog::add_gpu(GpuSpec gpu) { add_unique(gpus_, std::move(gpu), "GPU"); }
void SpecCatalog::add_node(NodeSpec node) { add_unique(nodes_, std::move(node), "node"); }

SpecCatalog SpecCatalog::load(const std::string& data_dir) {
  if (!fs::is_directory(data_dir)) throw InputError::setting("data-dir", "'" + data_dir + "' is not a directory");
  SpecCatalog catalog;
  const fs::path root(data_dir);
  for (const auto& path : spec_files(root / "models")) catalog.add_model(read_model_spec(path));
  for (const auto& path : spec_files(root / "gpus")) catalog.add_gpu(read_gpu_spec(path));
  for (const auto& path : spec_files(root / "nodes")) catalog.add_node(read_node_spec(path));
  for (const auto& [name, node] : catalog.nodes_)
    if (!catalog.gpus_.count(node.gpu))
      throw InputError::in_file(node.source_file, 0, "gpu",
                                "unknown GPU '" + node.gpu + "' (known: " + known_names(catalog.gpus_) + ")");
  // A borrowed network profile names a node spec, so that a misspelt name fails here rather
  // than as a missing profiling file when a learned predictor is built.
  for (const auto& [name, node] : catalog.nodes_)
    if (!catalog.nodes_.count(node.network_profile))
      throw InputError::in_file(
          node.source_file, 0, "network_profile",
          "unknown node '" + node.network_profile + "' (known: " + known_names(catalog.nodes_) + ")");
  return catalog;
}

const ModelSpec& SpecCatalog::model(const std::string& name, const std::string& option) const {
  if (auto it = models_.find(name); it != models_.end()) return it->second;
  const std::string wanted = lower(name);
  for (const auto& [full, spec] : models_) {
    const auto slash = full.find('/');
    const std::string short_name = lower(slash == std::string::npos ? full : full.substr(slash + 1));
    if (short_name == wanted || lower(full) == wanted) return spec;
  }
  throw InputError::setting(option, "unknown model '" + name + "' (known: " + known_names(models_) + ")");
}

const GpuSpec& SpecCatalog::gpu(const std::string& name, const std::string& option) const {
  if (auto it = gpus_.find(name); it != gpus_.end()) return it->second;
  throw InputError::setting(option, "unknown GPU '" + name + "' (known: " + known_names(gpus_) + ")");
}

const NodeSpec& SpecCatalog::node(const std::string& name, const std::string& option) const {
  if (auto it = nodes_.find(name); it != nodes_.end()) return it->second;
  throw InputError::setting(option, "unknown node '" + name + "' (known: " + known_names(nodes_) + ")");
}

std::string resolve_data_dir(const std::string& explicit_dir) {
  if (!explicit_dir.empty()) return explicit_dir;
  if (const char* env = std::getenv("INFERSWEEP_DATA_DIR"); env && *env) return env;
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "infersweep" / "data";
    if (fs::is_directory(installed / "models")) return installed.string();
  }
  return INFERSWEEP_SOURCE_DATA_DIR;
}

}  // namespace infersweep::spec
