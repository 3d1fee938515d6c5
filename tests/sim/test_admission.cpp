// Admission of a maximal-length request: the validity rule asks the scheduler itself, and a
// stalled simulation names the request that can never be admitted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "infersweep/common/error.hpp"
#include "infersweep/sim/replica_scheduler.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

SimulationConfig qwen_72b_tp2(const std::string& scheduler) {
  SimulationConfig c;
  c.model = "Qwen-72B";
  c.gpu = "a100";
  c.node = default_node(c.gpu);
  c.parallel.tensor_parallel = 2;
  c.scheduler.replica_scheduler = scheduler;
  apply_scheduler_traits(c.scheduler, {});
  return c;
}

std::string plan_error(const SimulationConfig& c) {
  try {
    plan_simulation(c, test_support::catalog());
  } catch (const InputError& e) {
    return e.message();
  }
  return "";
}

TEST(Admission, TheWatermarkRefusesAReplicaWithRoomForExactlyOneMaximalRequest) {
  // Qwen-72B at TP2 on an A100 leaves 256 blocks: one 4,096-token request, and no watermark.
  const auto message = plan_error(qwen_72b_tp2("vllm"));
  EXPECT_NE(message.find("a 4,096-token request (4,095 prompt + 1 output tokens) can never be admitted by vllm"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("needs 256 blocks of 16 tokens; 254 of the 256 free are admissible after the watermark of 2"),
            std::string::npos)
      << message;
  EXPECT_NE(plan_error(qwen_72b_tp2("sarathi")).find("watermark"), std::string::npos);
  // LightLLM's estimate must stay below the cache; Orca and FasterTransformer reserve exactly it.
  EXPECT_NE(plan_error(qwen_72b_tp2("lightllm")).find("below the replica's 4,096-token cache"), std::string::npos);
  EXPECT_EQ(plan_error(qwen_72b_tp2("orca")), "");
  EXPECT_EQ(plan_error(qwen_72b_tp2("faster_transformer")), "");
  // Without a watermark vLLM admits it.
  auto c = qwen_72b_tp2("vllm");
  c.scheduler.watermark_blocks_fraction = 0;
  EXPECT_EQ(plan_error(c), "");
}

TEST(Admission, AStalledSimulationNamesTheFirstRequestThatCanNeverBeAdmitted) {
  SimulationConfig c;
  c.workload.num_requests = 3;
  c.workload.fixed_prefill_tokens = 2000;
  c.workload.fixed_decode_tokens = 10;
  auto setup = prepare_simulation(c, test_support::catalog());
  // A replica too small for the workload, set past the validity rules.
  setup.config.scheduler.num_blocks = 100;
  const auto predictor = test_support::make_predictor(setup);
  Simulation simulation(setup, predictor);
  try {
    simulation.run();
    FAIL() << "the simulation should stall";
  } catch (const SimulationError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("3 of 3 requests can never complete"), std::string::npos) << message;
    EXPECT_NE(message.find("the first request that can never be admitted is request 0, a 2,010-token request "
                           "(2,000 prompt + 10 output tokens)"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("its 2,000-token prompt needs 125 blocks of 16 tokens; 99 of the 100 free are admissible "
                           "after the watermark of 1"),
              std::string::npos)
        << message;
  }
}

}  // namespace

TEST(Admission, RequestsLongerThanTheModelsPositionsAreRefused) {
  SimulationConfig c;  // Llama-2-7b: 4,096 positions
  c.workload.max_tokens = 8192;
  EXPECT_NE(plan_error(c).find("8192-token requests exceed meta-llama/Llama-2-7b-hf's 4096 positions"),
            std::string::npos)
      << plan_error(c);
  c.workload.max_tokens = 4096;
  EXPECT_EQ(plan_error(c), "");
  c.model = "phi-2";  // 2,048 positions
  EXPECT_NE(plan_error(c).find("2048 positions"), std::string::npos);
  c.workload.max_tokens = 2048;
  c.workload.fixed_prefill_tokens = 1024;
  EXPECT_EQ(plan_error(c), "");
}

TEST(DefaultNode, IsThePairwiseNodeWhereItExistsElseTheOneNodeHoldingTheGpu) {
  const auto& catalog = test_support::catalog();
  EXPECT_EQ(default_node("a100", catalog), "a100_pairwise_nvlink");
  EXPECT_EQ(default_node("h200", catalog), "h200_dgx");  // H200s come in 8-GPU nodes only
  // No node holds it: the conventional name, which the catalog lookup then refuses by name.
  EXPECT_EQ(default_node("b200", catalog), "b200_pairwise_nvlink");
}
