#pragma once
// Every spec file under a data directory, indexed by name. A user adds a model, GPU or node by
// dropping a file into data/models, data/gpus or data/nodes; nothing is compiled in.
#include <map>
#include <string>

#include "infersweep/spec/hardware_specs.hpp"

namespace infersweep::spec {

class SpecCatalog {
 public:
  // Reads <data_dir>/models/*.ini, gpus/*.ini and nodes/*.ini. Throws InputError on any bad file.
  static SpecCatalog load(const std::string& data_dir);

  // Lookups accept the exact name, or for models also the part after '/' (case-insensitive).
  // Unknown names throw InputError naming `option` and listing what exists.
  const ModelSpec& model(const std::string& name, const std::string& option = "model") const;
  const GpuSpec& gpu(const std::string& name, const std::string& option = "gpu") const;
  const NodeSpec& node(const std::string& name, const std::string& option = "node") const;

  const std::map<std::string, ModelSpec>& models() const { return models_; }
  const std::map<std::string, GpuSpec>& gpus() const { return gpus_; }
  const std::map<std::string, NodeSpec>& nodes() const { return nodes_; }

  void add_model(ModelSpec model);
  void add_gpu(GpuSpec gpu);
  void add_node(NodeSpec node);

 private:
  std::map<std::string, ModelSpec> models_;
  std::map<std::string, GpuSpec> gpus_;
  std::map<std::string, NodeSpec> nodes_;
};

ModelSpec read_model_spec(const std::string& path);
GpuSpec read_gpu_spec(const std::string& path);
NodeSpec read_node_spec(const std::string& path);

// The data directory to use: the explicit one if given, else $INFERSWEEP_DATA_DIR, else the
// installed share/infersweep/data next to the executable, else the source tree's data/.
std::string resolve_data_dir(const std::string& explicit_dir);

}  // namespace infersweep::spec
