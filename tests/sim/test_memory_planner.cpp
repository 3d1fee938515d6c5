#include <gtest/gtest.h>

#include "infersweep/common/error.hpp"
#include "infersweep/sim/memory_planner.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {
MemoryPlan plan(const std::string& model, const std::string& gpu, int64_t tp, int64_t pp, KvAccounting a) {
  return plan_memory(test_support::catalog().model(model), test_support::catalog().gpu(gpu), {tp, pp}, 4096, 16, 0.1,
                     a);
}
}  // namespace

TEST(MemoryPlanner, Llama2_7bOnA100MatchesVidur) {
  for (auto a : {KvAccounting::per_stage, KvAccounting::vidur}) {
    const auto p = plan("meta-llama/Llama-2-7b-hf", "a100", 1, 1, a);
    EXPECT_EQ(p.parameters_per_device, 6476005376);
    EXPECT_DOUBLE_EQ(p.kv_bytes_per_request, 2.0 * 1024 * 1024 * 1024);
    EXPECT_EQ(p.max_batch_size, 29);
    EXPECT_EQ(p.max_request_slots, 29);
    EXPECT_EQ(p.num_blocks, 7424);
  }
}

TEST(MemoryPlanner, Llama2_70bOnH100Tp4Pp2MatchesVidur) {
  const auto v = plan("meta-llama/Llama-2-70b-hf", "h100", 4, 2, KvAccounting::vidur);
  EXPECT_EQ(v.parameters_per_device, 8556380160);
  EXPECT_DOUBLE_EQ(v.kv_bytes_per_request, 335544320.0);  // all 80 layers charged per stage
  EXPECT_EQ(v.max_batch_size, 179);
  EXPECT_EQ(v.max_request_slots, 358);
  EXPECT_EQ(v.num_blocks, 91648);
  // Per-stage accounting charges the 40 layers a stage holds and reaches the same slots here.
  const auto s = plan("meta-llama/Llama-2-70b-hf", "h100", 4, 2, KvAccounting::per_stage);
  EXPECT_DOUBLE_EQ(s.kv_bytes_per_request, 335544320.0 / 2);
  EXPECT_EQ(s.max_request_slots, 358);
  EXPECT_EQ(s.max_batch_size, 179);
  EXPECT_EQ(s.num_blocks, 91648);
}

TEST(MemoryPlanner, VidurRoundingLosesSlotsThatPerStageAccountingKeeps) {
  // CodeLlama-34b on A100 at TP2 PP4: free memory holds 171.375 requests' full-depth KV, so Vidur
  // floors to 171 per micro-batch and 684 slots; the stages can really hold floor(685.5) = 685.
  const auto v = plan("codellama/CodeLlama-34b-Instruct-hf", "a100", 2, 4, KvAccounting::vidur);
  const auto s = plan("codellama/CodeLlama-34b-Instruct-hf", "a100", 2, 4, KvAccounting::per_stage);
  EXPECT_EQ(v.max_batch_size, 171);
  EXPECT_EQ(v.max_request_slots, 684);
  EXPECT_EQ(s.max_request_slots, 685);
  EXPECT_EQ(s.max_batch_size, 171);
  EXPECT_EQ(s.num_blocks, 256 * s.max_request_slots);
}

TEST(MemoryPlanner, AModelThatDoesNotFitIsAnInputError) {
  try {
    plan("meta-llama/Llama-2-70b-hf", "a100", 1, 1, KvAccounting::per_stage);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.setting_name(), "model");
    EXPECT_EQ(e.message().rfind("meta-llama/Llama-2-70b-hf does not fit on a100 at TP1 PP1", 0), 0u) << e.message();
  }
}

TEST(MemoryPlanner, ParallelismMustDivideTheModelAndFitTheNode) {
  const auto& c = test_support::catalog();
  EXPECT_THROW(validate_parallelism(c.model("internlm-20b"), c.node("a100_dgx"), {3, 1}), InputError);  // 40 heads
  EXPECT_THROW(validate_parallelism(c.model("Llama-2-7b-hf"), c.node("a100_dgx"), {1, 3}), InputError);
  EXPECT_THROW(validate_parallelism(c.model("Llama-2-70b-hf"), c.node("a100_pairwise_nvlink"), {8, 1}), InputError);
  EXPECT_NO_THROW(validate_parallelism(c.model("Llama-2-70b-hf"), c.node("a100_dgx"), {8, 2}));
}
