// A lookup outside the table predictor's grid stops the simulation with an error that names
// the operator and key and the batch that asked: its requests and their token counts.
#include <gtest/gtest.h>

#include <fstream>

#include "infersweep/common/error.hpp"
#include "infersweep/sim/simulation.hpp"
#include "predict/synthetic_vidur_tables.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

// vLLM on tables up to 128 tokens (chunks up to 16): three prompts arriving together.
SimulationConfig tiny_table_config(const std::string& table_dir, int64_t prompt_tokens) {
  const test_support::SyntheticTableGrid g;
  SimulationConfig c;
  c.scheduler.replica_scheduler = "vllm";
  c.predictor.name = "table";
  c.predictor.learned.table_dir = table_dir;
  c.predictor.learned.max_tokens_per_request = g.max_tokens;
  c.predictor.learned.max_batch_size = g.max_batch;
  c.predictor.learned.max_prefill_chunk_size = g.max_chunk;
  c.workload.num_requests = 3;
  c.workload.interval_generator = "static";
  c.workload.fixed_prefill_tokens = prompt_tokens;
  c.workload.fixed_decode_tokens = 3;
  return c;
}

std::string run_error(const SimulationConfig& config) {
  const auto setup = prepare_simulation(config, test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  try {
    sim.run();
  } catch (const SimulationError& e) {
    return e.what();
  }
  return "(completed)";
}

TEST(OutOfGridBatch, ErrorNamesOperatorKeyAndTheBatchWithItsRequests) {
  test_support::TempDir dir;
  test_support::write_synthetic_tables(dir.path.string());
  // Prompts of 12 tokens: each chunk is in the grid, but the three together make a prefill of
  // root-sum-square chunk round(sqrt(3 x 144))^2 = 21^2, beyond the tables' 16^2.
  const auto message = run_error(tiny_table_config(dir.path.string(), 12));
  EXPECT_NE(message.find("table predictor: attn_prefill has no entry for kv_cache_size 0, "
                         "prefill_chunk_size_squared 441 in " +
                         dir.file("attn_prefill_fedcba98_predictions.csv")),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("; at t = 0 s, while timing batch 0 on replica 0 (3 requests, 36 tokens: 36 prefill, "
                         "0 decode): request 0: 12 prefill tokens at context 0 (prompt 12, output 3); request 1: 12 "
                         "prefill tokens at context 0 (prompt 12, output 3); request 2: 12 prefill tokens at context 0 "
                         "(prompt 12, output 3)"),
            std::string::npos)
      << message;
}

TEST(OutOfGridBatch, DecodeBatchesNameTheirContexts) {
  test_support::TempDir dir;
  test_support::write_synthetic_tables(dir.path.string());
  // Three 8-token prompts (chunk round(sqrt(3 x 64))^2 = 14^2), then decodes of batch size 3 at
  // context 8 (rounded up to 64): all in the grid, so the run completes.
  auto config = tiny_table_config(dir.path.string(), 8);
  EXPECT_EQ(run_error(config), "(completed)");
  // Five 4-token prompts (chunk round(sqrt(5 x 16))^2 = 9^2) fit too, but then five requests
  // decode together, beyond the decode table's batch sizes 1..4.
  config.workload.num_requests = 5;
  config.workload.fixed_prefill_tokens = 4;
  const auto message = run_error(config);
  EXPECT_NE(message.find("attn_decode has no entry for batch_size 5, kv_cache_size 64"), std::string::npos) << message;
  EXPECT_NE(message.find("while timing batch 1 on replica 0 (5 requests, 5 tokens: 0 prefill, 5 decode): request 0: "
                         "1 decode token at context 5 (prompt 4, output 3)"),
            std::string::npos)
      << message;
}

// Two stages, one request per micro-batch: batch 0 (an 8-token prompt) starts at once, and
// batch 1 (a 20-token prompt, a chunk beyond the tables' 16) is formed with it but waits for the
// first stage. It fails when it starts, at batch 0's first stage end; a run that ends before then
// fails nothing.
TEST(OutOfGridBatch, ABatchFailsWhenItStartsNotWhenItIsFormed) {
  test_support::TempDir dir;
  test_support::SyntheticTableGrid grid;
  grid.send_recv = true;
  test_support::write_synthetic_tables(dir.path.string(), grid);
  const auto trace = dir.file("trace.csv");
  std::ofstream(trace) << "arrived_at,num_prefill_tokens,num_decode_tokens\n0,8,2\n0,20,2\n";
  auto config = tiny_table_config(dir.path.string(), 8);
  config.workload.num_requests.reset();
  config.workload.generator = "trace_replay";
  config.workload.trace_file = trace;
  config.parallel.pipeline_parallel = 2;
  config.scheduler.batch_size_cap = 2;
  const auto message = run_error(config);
  EXPECT_NE(message.find("while timing batch 1 on replica 0 (1 requests, 20 tokens: 20 prefill"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("at t = 0 s"), std::string::npos) << message;
  config.time_limit_s = 1e-9;
  EXPECT_EQ(run_error(config), "(completed)");
}

}  // namespace
