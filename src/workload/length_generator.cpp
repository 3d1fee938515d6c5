#include "infersweep/workload/length_generator.hpp"

#include <algorithm>
#include <cmath>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_table.hpp"

namespace infersweep::workload {

int64_t scale_count(int64_t count, double scale) {
  return static_cast<int64_t>(std::min(static_cast<double>(count) * scale, static_cast<double>(kMaxRequestTokens)));
}

TokenCounts clip_proportionally(int64_t prefill, int64_t decode, int64_t max_tokens) {
  const int64_t total = prefill + decode;
  if (total > max_tokens) {
    const int64_t excess = total - max_tokens;
    const int64_t prefill_cut = (excess * prefill + total - 1) / total;  // ceil
    const int64_t decode_cut = (excess * decode + total - 1) / total;
    prefill -= prefill_cut;
    decode -= decode_cut;
  }
  return {std::max<int64_t>(prefill, 1), std::max<int64_t>(decode, 1)};
}

namespace {

// Splits a total length into prompt and output with a fixed prompt:output ratio.
TokenCounts split_total(int64_t total, double ratio) {
  const int64_t decode = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(total / (1.0 + ratio))));
  const int64_t prefill = std::max<int64_t>(1, total - decode);
  return {prefill, decode};
}

class FixedLengthGenerator : public LengthGenerator {
 public:
  explicit FixedLengthGenerator(const WorkloadConfig& c) : counts_{c.fixed_prefill_tokens, c.fixed_decode_tokens} {}
  TokenCounts next() override { return counts_; }

 private:
  TokenCounts counts_;
};

class UniformLengthGenerator : public LengthGenerator {
 public:
  explicit UniformLengthGenerator(const WorkloadConfig& c)
      : rng_(c.seed, "length.uniform"), min_(c.min_tokens), max_(c.max_tokens), ratio_(c.prefill_to_decode_ratio) {}
  TokenCounts next() override {
    const auto total = static_cast<int64_t>(rng_.uniform(static_cast<double>(min_), static_cast<double>(max_) + 1.0));
    return split_total(std::min(total, max_), ratio_);
  }

 private:
  RandomStream rng_;
  int64_t min_, max_;
  double ratio_;
};

// YCSB-style Zipf over [min, max] (Gray et al., "Quickly generating billion-record synthetic
// databases"), with the full generalised harmonic number for the normaliser.
class ZipfLengthGenerator : public LengthGenerator {
 public:
  explicit ZipfLengthGenerator(const WorkloadConfig& c)
      : rng_(c.seed, "length.zipf"),
        min_(c.min_tokens),
        max_(c.max_tokens),
        ratio_(c.prefill_to_decode_ratio),
        theta_(c.zipf_theta),
        scramble_(c.zipf_scramble),
        seed_(c.seed) {
    n_ = max_ - min_ + 1;
    for (int64_t i = 1; i <= n_; ++i) zetan_ += std::pow(static_cast<double>(i), -theta_);
    const double zeta2 = 1.0 + std::pow(2.0, -theta_);
    alpha_ = 1.0 / (1.0 - theta_);
    eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n_), 1.0 - theta_)) / (1.0 - zeta2 / zetan_);
  }
  TokenCounts next() override {
    const double u = rng_.uniform01();
    const double uz = u * zetan_;
    int64_t rank;
    if (uz < 1.0) {
      rank = 0;
    } else if (uz < 1.0 + std::pow(0.5, theta_)) {
      rank = 1;
    } else {
      rank = static_cast<int64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
    }
    rank = std::clamp<int64_t>(rank, 0, n_ - 1);
    if (scramble_) {
      uint64_t state = static_cast<uint64_t>(rank) ^ (seed_ * 0x9e3779b97f4a7c15ULL);
      rank = static_cast<int64_t>(splitmix64(state) % static_cast<uint64_t>(n_));
    }
    return split_total(min_ + rank, ratio_);
  }

 private:
  RandomStream rng_;
  int64_t min_, max_;
  double ratio_, theta_;
  bool scramble_;
  uint64_t seed_;
  int64_t n_ = 0;
  double zetan_ = 0, alpha_ = 0, eta_ = 0;
};

// Serves (prompt, output) pairs from a CSV in a seeded random order, each pair scaled and
// clipped to max_tokens. A trace shorter than the workload is served again in the same order
// (Vidur stops with an error there).
class TraceLengthGenerator : public LengthGenerator {
 public:
  explicit TraceLengthGenerator(const WorkloadConfig& c) : path_(c.length_trace_file) {
    const auto rows = c.length_trace_rows ? c.length_trace_rows : read_length_trace(c.length_trace_file);
    rows_.reserve(rows->size());
    for (const auto& row : *rows) {
      const int64_t p = scale_count(row.prefill, c.prefill_scale), d = scale_count(row.decode, c.decode_scale);
      rows_.push_back({clip_proportionally(p, d, c.max_tokens), p + d > c.max_tokens});
    }
    if (rows_.empty()) throw InputError::in_file(path_, 0, "", "trace has no rows");
    RandomStream rng(c.seed, "length.trace_shuffle");
    for (size_t i = rows_.size() - 1; i > 0; --i) std::swap(rows_[i], rows_[rng.uniform_index(i + 1)]);
  }
  TokenCounts next() override {
    const auto& row = rows_[served_ % rows_.size()];
    ++served_;
    if (row.cut) ++cut_;
    last_cut_ = row.cut;
    return row.counts;
  }
  bool last_draw_cut() const override { return last_cut_; }
  void add_notes(WorkloadNotes& notes) const override {
    notes.cut_to_max_tokens += cut_;
    notes.length_trace_rows = static_cast<int64_t>(rows_.size());
    notes.length_trace_reused += served_ > rows_.size() ? static_cast<int64_t>(served_ - rows_.size()) : 0;
  }

 private:
  struct Row {
    TokenCounts counts;
    bool cut = false;  // longer than max_tokens before the clip
  };
  std::string path_;
  std::vector<Row> rows_;
  size_t served_ = 0;
  int64_t cut_ = 0;
  bool last_cut_ = false;
};

}  // namespace

int64_t read_token_count(const io::CsvTable& table, size_t row, size_t column) {
  const int64_t count = table.as_int64(row, column);
  if (count < 0 || count > kMaxRequestTokens)
    throw InputError::in_file(
        table.path(), table.line_of(row), table.field(column),
        "expected a token count in [0, " + format_count(kMaxRequestTokens) + "], got " + std::to_string(count));
  return count;
}

std::shared_ptr<const std::vector<TokenCounts>> read_length_trace(const std::string& path) {
  const auto table = io::CsvTable::read(path);
  const size_t p_col = table.column("num_prefill_tokens");
  const size_t d_col = table.column("num_decode_tokens");
  auto rows = std::make_shared<std::vector<TokenCounts>>();
  rows->reserve(table.num_rows());
  for (size_t row = 0; row < table.num_rows(); ++row)
    rows->push_back({read_token_count(table, row, p_col), read_token_count(table, row, d_col)});
  if (rows->empty()) throw InputError::in_file(path, 0, "", "trace has no rows");
  return rows;
}

LengthGeneratorRegistry make_length_generator_registry() {
  LengthGeneratorRegistry registry("length generator");
  const auto min_within_max = [](const WorkloadConfig& c) {
    if (c.min_tokens > c.max_tokens)
      throw InputError::setting("min-tokens", "must be at most --max-tokens (" + std::to_string(c.max_tokens) + ")");
  };
  registry.add(
      "fixed", [](const WorkloadConfig& c) { return std::make_unique<FixedLengthGenerator>(c); },
      {{"prefill-tokens", "decode-tokens"},
       {},
       [](const WorkloadConfig& c) {
         if (c.fixed_prefill_tokens + c.fixed_decode_tokens > c.max_tokens)
           throw InputError::setting(
               "prefill-tokens", "prompt + output (" + std::to_string(c.fixed_prefill_tokens + c.fixed_decode_tokens) +
                                     ") exceeds --max-tokens (" + std::to_string(c.max_tokens) + ")");
       }},
      "every request has the same prompt and output length");
  registry.add(
      "uniform", [](const WorkloadConfig& c) { return std::make_unique<UniformLengthGenerator>(c); },
      {{"min-tokens", "prefill-decode-ratio"}, {}, min_within_max},
      "total lengths uniform in [min, max], split by the prompt:output ratio");
  registry.add(
      "zipf", [](const WorkloadConfig& c) { return std::make_unique<ZipfLengthGenerator>(c); },
      {{"min-tokens", "prefill-decode-ratio", "zipf-theta", "zipf-scramble"}, {}, min_within_max},
      "total lengths Zipf-distributed over [min, max]");
  registry.add(
      "trace", [](const WorkloadConfig& c) { return std::make_unique<TraceLengthGenerator>(c); },
      {{"length-trace-file", "prefill-scale", "decode-scale"}, {"length-trace-file"}, nullptr},
      "prompt and output lengths drawn from a trace in a seeded order, started over when it runs out");
  return registry;
}

const LengthGeneratorRegistry& builtin_length_generators() {
  static const LengthGeneratorRegistry registry = make_length_generator_registry();
  return registry;
}

}  // namespace infersweep::workload
