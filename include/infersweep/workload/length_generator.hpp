#pragma once
// Prompt/output length generators, chosen by name (--length-generator).
#include <memory>
#include <utility>
#include <vector>

#include "infersweep/common/random_stream.hpp"
#include "infersweep/common/registry.hpp"
#include "infersweep/workload/workload_config.hpp"

namespace infersweep::workload {

class LengthGenerator {
 public:
  virtual ~LengthGenerator() = default;
  // Throws InputError when a finite source (a trace) runs out.
  virtual TokenCounts next() = 0;
};

using LengthGeneratorRegistry = PluginRegistry<LengthGenerator, WorkloadPluginTraits, const WorkloadConfig&>;
LengthGeneratorRegistry make_length_generator_registry();
const LengthGeneratorRegistry& builtin_length_generators();  // built once

// The (prompt, output) rows of a length-trace CSV (columns num_prefill_tokens and
// num_decode_tokens) as written, before scaling and clipping. Throws InputError naming the file
// and line of a bad or negative count, or an empty trace.
std::shared_ptr<const std::vector<TokenCounts>> read_length_trace(const std::string& path);

// Vidur's proportional clip of a (prefill, decode) pair to at most max_tokens in total,
// each part kept >= 1.
TokenCounts clip_proportionally(int64_t prefill, int64_t decode, int64_t max_tokens);

}  // namespace infersweep::workload
