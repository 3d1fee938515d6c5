#include <gtest/gtest.h>

#include "infersweep/predict/attention_model.hpp"
#include "infersweep/predict/roofline_model.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::predict;

namespace {

const RooflineParameters kDefaults{};

AttentionHardware hardware(const std::string& gpu) { return AttentionHardware::of(test_support::catalog().gpu(gpu)); }

AttentionModel model(AttentionShape shape, const std::string& gpu = "h100", const RooflineParameters& p = kDefaults) {
  return AttentionModel(shape, hardware(gpu), p);
}

// Per-GPU attention of some real deployments: Llama-2-7B TP1 (MHA), Llama-3-8B TP1 (GQA 4:1),
// Llama-2-70B TP8 (one KV head), phi-2 TP2 (head dim 80).
const std::vector<AttentionShape> kShapes{{32, 32, 128}, {32, 8, 128}, {8, 1, 128}, {16, 16, 80}};

}  // namespace

TEST(AttentionModel, DecodeGrowsWithContextAndBatch) {
  for (const auto& shape : kShapes) {
    const auto m = model(shape);
    for (int64_t batch : {1, 3, 16, 64, 128, 256}) {
      double previous = 0;
      for (int64_t kv = 0; kv <= 8192; kv += 8) {
        const double t = m.decode_ms(batch, kv);
        ASSERT_GE(t, previous * (1 - 1e-12)) << "batch " << batch << " kv " << kv;
        previous = t;
      }
    }
    // Twice the requests at a long context: close to twice the time (bandwidth bound).
    EXPECT_GT(m.decode_ms(256, 4096), 1.8 * m.decode_ms(128, 4096));
  }
}

TEST(AttentionModel, PrefillGrowsWithChunkAndCachedPrefix) {
  for (const auto& shape : kShapes) {
    const auto m = model(shape);
    for (int64_t kv : {0, 64, 1000, 4032}) {
      double previous = 0;
      for (int64_t chunk = 1; chunk <= 8192; ++chunk) {
        const double t = m.prefill_ms(kv, chunk);
        ASSERT_GE(t, previous) << "kv " << kv << " chunk " << chunk;
        previous = t;
      }
    }
    for (int64_t chunk : {1, 64, 512, 4096}) {
      double previous = 0;
      for (int64_t kv = 0; kv <= 16384; kv += 4) {
        const double t = m.prefill_ms(kv, chunk);
        ASSERT_GE(t, previous) << "kv " << kv << " chunk " << chunk;
        previous = t;
      }
    }
  }
  EXPECT_EQ(model(kShapes[0]).prefill_ms(100, 0), 0.0);  // no query, no kernel
}

TEST(AttentionModel, WavesStepAtMultiplesOfTheSmCount) {
  // Decode runs two CTAs per SM, one per request and KV head when the batch fills the GPU:
  // with one KV head, the 265th request of a long context opens a second wave on an H100
  // (132 SMs), the 217th on an A100 (108 SMs).
  const AttentionShape one_kv_head{8, 1, 128};
  for (const auto& [gpu, slots] : {std::pair<std::string, int64_t>{"h100", 264}, {"a100", 216}}) {
    const auto m = model(one_kv_head, gpu);
    const double inside = m.decode_ms(slots, 4096) - m.decode_ms(slots - 1, 4096);
    const double across = m.decode_ms(slots + 1, 4096) - m.decode_ms(slots, 4096);
    EXPECT_GT(across, 20.0 * inside) << gpu;
    EXPECT_GT(m.decode_ms(2 * slots + 1, 4096) - m.decode_ms(2 * slots, 4096), 20.0 * inside) << gpu;
  }
  // Prefill: one CTA per SM per 128-row query tile and query head; 132 heads fill one wave of
  // an H100 with one tile (chunk <= 128) and need two from chunk 129 on.
  const auto m = model({132, 1, 128});
  const double inside = m.prefill_ms(4096, 128) - m.prefill_ms(4096, 127);
  const double across = m.prefill_ms(4096, 129) - m.prefill_ms(4096, 128);
  EXPECT_GT(across, 20.0 * inside);
  EXPECT_EQ(wave_time_s({264, 264, 2.0, 2.0, 0.0}, 1.0, 1.0, 0.5), 2.5);
  EXPECT_EQ(wave_time_s({265, 264, 2.0, 2.0, 0.0}, 1.0, 1.0, 0.5), 5.0);
}

TEST(AttentionModel, GroupedQueryHeadsShareTheirKvReads) {
  // Llama-3-8B against Llama-2-7B: the same 32 query heads over 8 instead of 32 KV heads.
  const auto gqa = model({32, 8, 128}), mha = model({32, 32, 128});
  for (int64_t batch : {8, 32, 128}) {
    EXPECT_LT(gqa.decode_ms(batch, 2048), mha.decode_ms(batch, 2048));
    // A full GPU streams the bytes: four times fewer KV heads, about four times less time.
    if (batch == 128) {
      EXPECT_NEAR(mha.decode_ms(batch, 2048) / gqa.decode_ms(batch, 2048), 4.0, 0.4);
    }
  }
  // Prefill computes the same query x key tiles; its KV bytes are fewer.
  const auto hw = hardware("h100");
  EXPECT_LT(prefill_work({32, 8, 128}, hw, 4032, 64).bytes, prefill_work({32, 32, 128}, hw, 4032, 64).bytes);
  EXPECT_LE(gqa.prefill_ms(1024, 2048), mha.prefill_ms(1024, 2048));
}

TEST(AttentionModel, DecodeHasKernelAndPerRequestFloors) {
  const auto& p = kDefaults;
  const auto m = model({32, 8, 128});
  // One request, one token of context: the kernel floor, one wave and one block's latency.
  EXPECT_NEAR(m.decode_ms(1, 1), (p.decode_floor_us + p.decode_wave_overhead_us + p.decode_block_latency_us) * 1e-3,
              1e-12);
  // Short contexts cost the same until the batch's KV heads overflow one wave of CTAs (264
  // slots on an H100: 33 requests of 8 KV heads), then a wave more per 33 requests.
  EXPECT_DOUBLE_EQ(m.decode_ms(33, 32), m.decode_ms(1, 32));
  EXPECT_GT(m.decode_ms(34, 32), m.decode_ms(33, 32) + p.decode_wave_overhead_us * 1e-3);
  // Full waves at a long context: the KV bytes at the memory efficiency, plus the floors and
  // the combining of a context of several KV blocks.
  const auto hw = hardware("h100");
  const double bytes = 66.0 * 8 * 4096 * 128 * 2 * 2;
  EXPECT_NEAR(m.decode_ms(66, 4096),
              bytes / (p.attention_memory_efficiency * hw.bandwidth) * 1e3 +
                  (p.decode_floor_us + p.decode_split_combine_us + 2 * p.decode_wave_overhead_us) * 1e-3,
              1e-9);
}

TEST(AttentionModel, PrefillSitsOnItsFloorUntilTheKernelOutgrowsTheOverlap) {
  const auto& p = kDefaults;
  const auto m = model({8, 1, 128});
  EXPECT_DOUBLE_EQ(m.prefill_ms(0, 64), p.prefill_floor_us * 1e-3);
  // A long causal chunk: its tiles at the compute efficiency, plus the floor the kernel does not overlap.
  const auto big = model({64, 8, 128});
  const double flops = 4096.0 * 4096 / 2 * 64 * 128 * 4;
  const double expected = flops / (p.attention_compute_efficiency * 1e15) * 1e3 + p.prefill_floor_us * 1e-3;
  EXPECT_NEAR(big.prefill_ms(0, 4096) / expected, 1.0, 0.15);
}

TEST(AttentionModel, RooflineTakesAttentionFromIt) {
  PredictorContext c;
  c.model = test_support::catalog().model("Llama-2-70b-hf");
  c.gpu = test_support::catalog().gpu("h100");
  c.node = test_support::catalog().node("h100_dgx");
  c.tensor_parallel = 4;
  const RooflineModel roofline(c);
  const auto m = model({16, 2, 128});
  EXPECT_EQ(roofline.decode_attention_ms(24, 1536), m.decode_ms(24, 1536));
  EXPECT_EQ(roofline.prefill_attention_ms(512, 700 * 700), m.prefill_ms(512, 700));
  // A batch's root-sum-square chunk that is not a whole number rounds to the nearest one.
  EXPECT_EQ(roofline.prefill_attention_ms(512, 700 * 700 + 3), m.prefill_ms(512, 700));
}
