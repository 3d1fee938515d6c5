#pragma once
// Inter-arrival time generators, chosen by name (--interval-generator).
#include <memory>
#include <optional>

#include "infersweep/common/registry.hpp"
#include "infersweep/workload/workload_config.hpp"

namespace infersweep::workload {

class IntervalGenerator {
 public:
  virtual ~IntervalGenerator() = default;
  // Seconds until the next arrival; nullopt when a trace is exhausted.
  virtual std::optional<double> next() = 0;
  // Adds what this generator changed in its source (trace rows taken out of file order).
  virtual void add_notes(WorkloadNotes& /*notes*/) const {}
};

using IntervalGeneratorRegistry = PluginRegistry<IntervalGenerator, WorkloadPluginTraits, const WorkloadConfig&>;
IntervalGeneratorRegistry make_interval_generator_registry();
const IntervalGeneratorRegistry& builtin_interval_generators();  // built once

}  // namespace infersweep::workload
