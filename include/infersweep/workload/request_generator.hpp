#pragma once
// Builds the full, arrival-ordered request list of a simulation before it starts.
#include <vector>

#include "infersweep/common/registry.hpp"
#include "infersweep/workload/workload_config.hpp"

namespace infersweep::workload {

class RequestGenerator {
 public:
  virtual ~RequestGenerator() = default;
  virtual GeneratedWorkload generate() = 0;
};

using RequestGeneratorRegistry = PluginRegistry<RequestGenerator, WorkloadPluginTraits, const WorkloadConfig&>;
RequestGeneratorRegistry make_request_generator_registry();
const RequestGeneratorRegistry& builtin_request_generators();  // built once

// Checks every option of the workload (names, ranges) without reading any file.
void validate_workload(const WorkloadConfig& config);

// How many requests the workload will have (see WorkloadPluginTraits::request_count).
int64_t expected_request_count(const WorkloadConfig& config);

// Validates the config, then runs the generator it names.
GeneratedWorkload generate_workload(const WorkloadConfig& config);
// The same, without the notes.
std::vector<RequestSpec> generate_requests(const WorkloadConfig& config);

}  // namespace infersweep::workload
