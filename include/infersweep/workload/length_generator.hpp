#pragma once
// Prompt/output length generators, chosen by name (--length-generator).
#include <memory>
#include <utility>
#include <vector>

#include "infersweep/common/random_stream.hpp"
#include "infersweep/common/registry.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/workload/workload_config.hpp"

namespace infersweep::workload {

class LengthGenerator {
 public:
  virtual ~LengthGenerator() = default;
  virtual TokenCounts next() = 0;
  // Whether the last draw was cut to --max-tokens (and counted so in add_notes).
  virtual bool last_draw_cut() const { return false; }
  // Adds what this generator changed in its source so far (cut or reused trace rows).
  virtual void add_notes(WorkloadNotes& /*notes*/) const {}
};

using LengthGeneratorRegistry = PluginRegistry<LengthGenerator, WorkloadPluginTraits, const WorkloadConfig&>;
LengthGeneratorRegistry make_length_generator_registry();
const LengthGeneratorRegistry& builtin_length_generators();  // built once

// The (prompt, output) rows of a length-trace CSV (columns num_prefill_tokens and
// num_decode_tokens) as written, before scaling and clipping. Throws InputError naming the file
// and line of a bad, negative or too large (over kMaxRequestTokens) count, or an empty trace.
std::shared_ptr<const std::vector<TokenCounts>> read_length_trace(const std::string& path);

// One token-count cell of a trace; throws InputError naming file, line and column unless it is
// a whole number in [0, kMaxRequestTokens].
int64_t read_token_count(const io::CsvTable& table, size_t row, size_t column);

// A trace count times a scale, truncated as Vidur does. A scaled count above kMaxRequestTokens
// is held there: the max-tokens clip that follows cuts it anyway.
int64_t scale_count(int64_t count, double scale);

// Vidur's proportional clip of a (prefill, decode) pair to at most max_tokens in total,
// each part kept >= 1. Each count must be at most kMaxRequestTokens.
TokenCounts clip_proportionally(int64_t prefill, int64_t decode, int64_t max_tokens);

}  // namespace infersweep::workload
