// The memo of batch timings must return exactly what the predictor computes, whatever the
// order of shapes, repeats and slot collisions.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "infersweep/predict/batch_timing_memo.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::predict;

namespace {

bool same_bits(const BatchTiming& a, const BatchTiming& b) {
  return std::memcmp(&a.block_ms, &b.block_ms, sizeof(double)) == 0 &&
         std::memcmp(&a.pp_comm_ms, &b.pp_comm_ms, sizeof(double)) == 0 &&
         std::memcmp(&a.cpu_overhead_ms, &b.cpu_overhead_ms, sizeof(double)) == 0 &&
         a.layers_per_stage == b.layers_per_stage;
}

BatchShape random_shape(std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> decodes(0, 64), prefills(0, 3), chunk(1, 512), context(0, 4000);
  BatchShape s;
  const int64_t d = decodes(rng), p = prefills(rng);
  for (int64_t i = 0; i < d; ++i) {
    ++s.num_decodes;
    ++s.total_tokens;
    s.decode_processed_sum += context(rng);
  }
  for (int64_t i = 0; i < p; ++i) {
    const int64_t c = chunk(rng);
    ++s.num_prefills;
    s.total_tokens += c;
    s.prefill_kv_sum += (context(rng) + 63) / 64 * 64;
    s.prefill_chunk_sq_sum += c * c;
  }
  if (s.total_tokens == 0) {
    s.num_decodes = s.total_tokens = 1;
    s.decode_processed_sum = 100;
  }
  return s;
}

ExecutionTimePredictor predictor_for(const std::string& model, const std::string& gpu, const std::string& node,
                                     int64_t tp, int64_t pp) {
  return ExecutionTimePredictor::create(test_support::predictor_context(model, gpu, node, tp, pp));
}

}  // namespace

TEST(BatchTimingMemo, ReturnsThePredictorsTimingBitForBit) {
  const auto predictor = predictor_for("Llama-2-70b-hf", "h100", "h100_dgx", 4, 2);
  BatchTimingMemo memo(predictor);
  std::mt19937_64 rng(7);
  // A small pool of shapes, drawn many times, gives hits; 20,000 distinct ones overflow the
  // slots and collide.
  std::vector<BatchShape> frequent;
  for (int i = 0; i < 50; ++i) frequent.push_back(random_shape(rng));
  std::uniform_int_distribution<size_t> pick(0, frequent.size() - 1);
  for (int i = 0; i < 40000; ++i) {
    const BatchShape s = i % 2 ? frequent[pick(rng)] : random_shape(rng);
    ASSERT_TRUE(same_bits(memo(s), predictor.predict(s))) << "draw " << i;
  }
  EXPECT_GT(memo.hits(), 15000);
  EXPECT_GT(memo.misses(), 15000);
  EXPECT_EQ(memo.hits() + memo.misses(), 40000);
}

TEST(BatchTimingMemo, ShapesWithOneKeyShareATiming) {
  const auto predictor = predictor_for("Llama-2-7b-hf", "a100", "a100_pairwise_nvlink", 1, 1);
  // Mean decode contexts 1,000 and 1,020 both round up to 1,024 at the default granularity 64.
  BatchShape a, b;
  a.total_tokens = b.total_tokens = a.num_decodes = b.num_decodes = 10;
  a.decode_processed_sum = 10000;
  b.decode_processed_sum = 10200;
  EXPECT_EQ(predictor.key(a), predictor.key(b));
  BatchTimingMemo memo(predictor);
  memo(a);
  EXPECT_TRUE(same_bits(memo(b), predictor.predict(b)));
  EXPECT_EQ(memo.hits(), 1);
  b.decode_processed_sum = 10250;  // mean 1,025 rounds to 1,088
  EXPECT_FALSE(predictor.key(a) == predictor.key(b));
}
