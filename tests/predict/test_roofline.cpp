#include <gtest/gtest.h>

#include "infersweep/predict/execution_time_predictor.hpp"
#include "infersweep/predict/roofline_model.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::predict;

using test_support::predictor_context;

TEST(Roofline, GemmsAreMemoryBoundAtFewTokensAndComputeBoundAtMany) {
  RooflineModel m(predictor_context("Llama-2-7b-hf", "a100", "a100_pairwise_nvlink", 1, 1));
  // One token: the 4096 x 22016 up-projection weights (180 MB) stream at 0.8 x 2039 GB/s.
  const double weights = 2.0 * 4096 * 22016;
  EXPECT_NEAR(m.token_op_ms(TokenOp::mlp_up_proj, 1), weights / (0.8 * 2039e9) * 1e3 + 0.003, 0.002);
  // 4096 tokens: 2 * 4096 * 4096 * 22016 FLOPs at 0.7 x 312 TFLOP/s.
  EXPECT_NEAR(m.token_op_ms(TokenOp::mlp_up_proj, 4096), 2.0 * 4096 * 4096 * 22016 / (0.7 * 312e12) * 1e3 + 0.003,
              1e-6);
  double previous = 0;
  for (int64_t n : {1, 8, 64, 512, 4096}) {
    const double t = m.token_op_ms(TokenOp::attn_pre_proj, n);
    EXPECT_GE(t, previous);
    previous = t;
  }
  EXPECT_EQ(m.all_reduce_ms(1024), 0.0);  // TP 1 has no all-reduce
}

TEST(Roofline, AttentionGrowsWithContextAndChunk) {
  RooflineModel m(predictor_context("Llama-2-70b-hf", "h100", "h100_dgx", 4, 1));
  EXPECT_LT(m.decode_attention_ms(8, 512), m.decode_attention_ms(8, 4096));
  EXPECT_LT(m.decode_attention_ms(8, 512), m.decode_attention_ms(64, 512));
  EXPECT_LT(m.prefill_attention_ms(0, 256 * 256), m.prefill_attention_ms(0, 2048 * 2048));
  EXPECT_LT(m.prefill_attention_ms(0, 512 * 512), m.prefill_attention_ms(3072, 512 * 512));
  // Ring all-reduce over 4 GPUs: 6 latency steps plus 1.5 x the message at link bandwidth.
  const double bytes = 2.0 * 1000 * 8192;
  EXPECT_NEAR(m.all_reduce_ms(1000), (6 * 4e-6 + 1.5 * bytes / 450e9) * 1e3, 1e-9);
}

TEST(ExecutionTimePredictor, ComposesVidurStyleWithPipelineSendOnEarlierStagesOnly) {
  auto c = predictor_context("Llama-2-70b-hf", "h100", "h100_dgx", 4, 2);
  const auto p = ExecutionTimePredictor::create(c);
  BatchShape s;
  s.total_tokens = 100;
  s.num_decodes = 100;
  s.decode_processed_sum = 100 * 1000;
  const auto t = p.predict(s);
  EXPECT_EQ(t.layers_per_stage, 40);
  EXPECT_GT(t.pp_comm_ms, 0.0);
  EXPECT_DOUBLE_EQ(t.model_time_s(true), t.block_ms * 40 * 1e-3);
  EXPECT_DOUBLE_EQ(t.model_time_s(false), (t.block_ms * 40 + t.pp_comm_ms) * 1e-3);
  // Decode attention uses the mean context rounded up to 64, with the 10 % GQA batching cost.
  RooflineModel m(c);
  BatchShape one = s;
  one.num_decodes = 1;
  one.total_tokens = 1;
  one.decode_processed_sum = 1000;
  const double with_many = p.predict(s).block_ms, with_one = p.predict(one).block_ms;
  EXPECT_GT(with_many, with_one);
  const double expected_decode = m.decode_attention_ms(100, 1024) * 1.1;
  const double others = with_many - expected_decode;
  EXPECT_GT(others, 0.0);
}
