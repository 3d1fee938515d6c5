#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "infersweep/common/error.hpp"
#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/grid_run_settings.hpp"
#include "infersweep/search/result_row.hpp"
#include "infersweep/search/search_runner.hpp"
#include "search_test_support.hpp"

using namespace infersweep;

namespace {

// The single unit of a grid with one value per dimension.
search::SearchUnit one_unit(const std::string& model, const std::string& device, int64_t num_gpus, int64_t tp,
                            int64_t pp, const std::string& extra_model_keys = "",
                            const std::string& predictor = "roofline") {
  const std::string text =
      "models:\n  - identifier: " + model + "\n" + extra_model_keys +
      "traces:\n  - name: conv\n    trace_file: " + test_support::vidur_trace("splitwise_conv.csv") +
      "\n    start_qps: 1\nclusters:\n  - device: " + device + "\n    num_gpus: " + std::to_string(num_gpus) +
      "\nschedulers:\n  - scheduler: vllm\ntp_dimensions: [" + std::to_string(tp) + "]\npp_dimensions: [" +
      std::to_string(pp) + "]\nbatch_sizes: [32]\npredictor:\n  name: " + predictor +
      "\n  profiling_dir: " + test_support::profiling_dir() + "\n";
  const auto units = search::enumerate_grid(search::parse_grid_text(text, "g.yaml", "."), test_support::catalog());
  EXPECT_EQ(units.size(), 1u);
  return units.at(0);
}

std::string skip_reason(const std::string& model, const std::string& device, int64_t num_gpus, int64_t tp, int64_t pp,
                        const std::string& extra = "", const std::string& predictor = "roofline") {
  return one_unit(model, device, num_gpus, tp, pp, extra, predictor).skip_reason;
}

}  // namespace

TEST(DeploymentSpace, CrossesEveryDimensionInAFixedOrder) {
  const auto units = search::enumerate_grid(test_support::small_grid(), test_support::catalog());
  ASSERT_EQ(units.size(), 2u * 2u * 2u);  // schedulers x TP x PP
  for (size_t i = 0; i < units.size(); ++i) {
    EXPECT_EQ(units[i].index, static_cast<int64_t>(i));
    EXPECT_TRUE(units[i].runnable()) << units[i].skip_reason;
  }
  const auto& u = units[3];  // vllm, TP 2, PP 2
  EXPECT_EQ(u.labels.scheduler, "vllm");
  EXPECT_EQ(u.labels.tp, 2);
  EXPECT_EQ(u.labels.pp, 2);
  EXPECT_EQ(u.labels.replicas, 1);
  EXPECT_EQ(u.labels.gpus(), 4);
  // Vidur: the batch cap handed to the scheduler is batch size x PP, and vLLM's token budget
  // is the trace's max_seq_len.
  EXPECT_EQ(u.simulation.scheduler.batch_size_cap, 128);
  EXPECT_EQ(u.simulation.scheduler.max_tokens_in_batch, 4096);
  EXPECT_EQ(u.simulation.workload.length_generator, "trace");
  EXPECT_EQ(u.simulation.workload.interval_generator, "poisson");
  EXPECT_EQ(units[4].simulation.scheduler.chunk_size, 512);
  EXPECT_DOUBLE_EQ(u.price_per_gpu_hour, 2.21);
}

TEST(DeploymentSpace, ValidityRulesSkipWithTheirReason) {
  // Runnable reference.
  EXPECT_EQ(skip_reason("meta-llama/Llama-2-7b-hf", "a100", 4, 2, 2), "");
  // Excluded in the grid.
  EXPECT_EQ(skip_reason("meta-llama/Llama-2-7b-hf", "a100", 4, 2, 1, "    exclude_tp_dims: [2]\n"),
            "TP 2 is excluded for Llama-2-7b-hf in the grid");
  // TP divides the heads (32 heads, TP 3).
  EXPECT_EQ(skip_reason("meta-llama/Llama-2-7b-hf", "a100", 6, 3, 1),
            "tensor parallelism 3 does not divide the 32 attention heads of meta-llama/Llama-2-7b-hf");
  // PP divides the layers (32 layers, PP 3).
  EXPECT_EQ(skip_reason("meta-llama/Llama-2-7b-hf", "a100", 6, 1, 3),
            "pipeline parallelism 3 does not divide the 32 layers of meta-llama/Llama-2-7b-hf");
  // The TP group fits in a node (4 GPUs per a100_pairwise_nvlink node).
  EXPECT_EQ(skip_reason("meta-llama/Llama-2-7b-hf", "a100", 8, 8, 1),
            "a tensor-parallel group of 8 GPUs does not fit in one a100_pairwise_nvlink node (4 GPUs)");
  // The model fits in memory (70B weights on one 80 GB GPU).
  EXPECT_NE(skip_reason("meta-llama/Llama-2-70b-hf", "a100", 1, 1, 1).find("does not fit on a100 at TP1 PP1"),
            std::string::npos);
  // At least one replica.
  EXPECT_EQ(skip_reason("meta-llama/Llama-2-7b-hf", "a100", 2, 2, 2),
            "no replica: TP x PP = 4 GPUs exceeds the cluster's 2");
  // The learned predictor has the data it needs (no all-reduce profile for a40 nodes).
  EXPECT_NE(skip_reason("meta-llama/Llama-2-7b-hf", "a40", 2, 2, 1, "", "learned").find("no profiling data:"),
            std::string::npos);
  EXPECT_EQ(skip_reason("meta-llama/Llama-2-7b-hf", "a40", 1, 1, 1, "", "learned"), "");
}

TEST(DeploymentSpace, GridErrorsNameTheEntry) {
  auto enumerate_error = [](const std::string& text) -> std::string {
    try {
      search::enumerate_grid(search::parse_grid_text(text, "g.yaml", "."), test_support::catalog());
    } catch (const InputError& e) {
      return e.what();
    }
    return "(no error)";
  };
  auto bad_model = test_support::small_grid_text();
  bad_model.replace(bad_model.find("meta-llama/Llama-2-7b-hf"), 24, "meta-llama/Llama-9");
  const auto model_error = enumerate_error(bad_model);
  EXPECT_EQ(model_error.rfind("g.yaml:2: models.identifier: unknown model", 0), 0u) << model_error;
  auto bad_node = test_support::small_grid_text();
  bad_node.replace(bad_node.find("    num_gpus: 4\n"), 16, "    num_gpus: 4\n    gpus_per_node: 8\n");
  const auto node_error = enumerate_error(bad_node);
  EXPECT_EQ(node_error.rfind("g.yaml:11: clusters.gpus_per_node: 8 differs from the 4 GPUs", 0), 0u) << node_error;
  // No h200_pairwise_nvlink exists: the error names the nodes that hold H200s.
  auto h200 = test_support::small_grid_text();
  h200.replace(h200.find("device: a100"), 12, "device: h200");
  const auto h200_error = enumerate_error(h200);
  EXPECT_EQ(h200_error.rfind("g.yaml:11: clusters.node: unknown node 'h200_pairwise_nvlink' (known: ", 0), 0u)
      << h200_error;
  EXPECT_NE(h200_error.find("; nodes of h200: h200_dgx"), std::string::npos) << h200_error;
}

TEST(DeploymentSpace, FilterKeepsNamedRowsAndRejectsUnknownNames) {
  search::GridFilter filter;
  filter.devices = {"a100"};
  EXPECT_EQ(search::enumerate_grid(test_support::small_grid(), test_support::catalog(), filter).size(), 8u);
  filter.devices = {"h100"};
  EXPECT_THROW(search::enumerate_grid(test_support::small_grid(), test_support::catalog(), filter), InputError);
}

TEST(DeploymentSpace, ConfigIdsAreStableDistinctAndFollowTheSettings) {
  const auto a = search::enumerate_grid(test_support::small_grid(), test_support::catalog());
  const auto b = search::enumerate_grid(test_support::small_grid(), test_support::catalog());
  std::set<std::string> ids;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].config_id, b[i].config_id);
    EXPECT_EQ(a[i].config_id.size(), 16u);
    EXPECT_EQ(a[i].config_id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a[i].canonical().find("engine_version = "), std::string::npos);
    ids.insert(a[i].config_id);
  }
  EXPECT_EQ(ids.size(), a.size());
  // A changed setting changes the id: the SLO, the request count.
  const auto slo =
      search::enumerate_grid(test_support::small_grid("search:\n  scheduling_delay_slo: 2\n"), test_support::catalog());
  const auto fewer = search::enumerate_grid(test_support::small_grid("", 300), test_support::catalog());
  EXPECT_NE(slo[0].config_id, a[0].config_id);
  EXPECT_NE(fewer[0].config_id, a[0].config_id);
}

TEST(DeploymentSpace, ConfigIdsDependOnTraceContentNotItsPath) {
  test_support::TempDir dir;
  const auto copy = dir.file("splitwise_conv.csv");
  std::filesystem::copy_file(test_support::vidur_trace("splitwise_conv.csv"), copy);
  auto text = test_support::small_grid_text();
  const auto original = test_support::vidur_trace("splitwise_conv.csv");
  text.replace(text.find(original), original.size(), copy);
  const auto base = search::enumerate_grid(test_support::small_grid(), test_support::catalog());
  const auto moved = search::enumerate_grid(search::parse_grid_text(text, "g.yaml", "."), test_support::catalog());
  EXPECT_EQ(moved[0].config_id, base[0].config_id);
  std::ofstream(copy, std::ios::app) << "999.0,10,10\n";
  const auto changed = search::enumerate_grid(search::parse_grid_text(text, "g.yaml", "."), test_support::catalog());
  EXPECT_NE(changed[0].config_id, base[0].config_id);
}

TEST(DeploymentSpace, StreamingTheGridVisitsTheSameUnitsInTheSameOrderAsEnumerating) {
  const auto grid = test_support::small_grid();
  const auto units = search::enumerate_grid(grid, test_support::catalog());
  std::vector<std::string> streamed;
  search::for_each_grid_unit(grid, test_support::catalog(), {}, [&](search::SearchUnit&& u) {
    EXPECT_EQ(u.index, static_cast<int64_t>(streamed.size()));
    streamed.push_back(u.config_id + " " + u.workload_id + " " + u.skip_reason);
  });
  ASSERT_EQ(streamed.size(), units.size());
  for (size_t i = 0; i < units.size(); ++i)
    EXPECT_EQ(streamed[i], units[i].config_id + " " + units[i].workload_id + " " + units[i].skip_reason);
}

namespace {

std::string field_text(const std::vector<table::Field>& row, const std::string& name) {
  for (const auto& f : row)
    if (f.name == name) return table::field_text(f);
  return "(no field " + name + ")";
}

}  // namespace

TEST(DeploymentSpace, PricesComeFromTheSpecTheGridOrAPricesFileAndNeverFromTheIds) {
  const auto& catalog = test_support::catalog();
  const auto shipped = search::enumerate_grid(test_support::small_grid(), catalog);
  EXPECT_DOUBLE_EQ(shipped[0].price_per_gpu_hour, 2.21);
  EXPECT_EQ(shipped[0].price_source,
            "gpu spec a100.ini: CoreWeave on-demand list price, as used by Vidur's analyzer/constants.py (2024-02-07)");

  const std::string grid_prices = "prices:\n  a100: 3.5\n  h100: {price_per_hour: 5, source: a quote}\n";
  const auto by_grid = search::enumerate_grid(test_support::small_grid(grid_prices), catalog);
  EXPECT_DOUBLE_EQ(by_grid[0].price_per_gpu_hour, 3.5);
  EXPECT_EQ(by_grid[0].price_source, "grid small.yaml:23: prices.a100");

  test_support::TempDir dir;
  std::ofstream(dir.file("p.ini")) << "source = list\ndate = 2026-01-01\na100 = 4\n";
  search::GridRunSettings run;
  run.grid = "small.yaml";
  run.gpu_prices = dir.file("p.ini");
  const auto by_file = search::enumerate_grid(run.parse_grid(test_support::small_grid_text(grid_prices), "."), catalog);
  EXPECT_DOUBLE_EQ(by_file[0].price_per_gpu_hour, 4);  // the file's price beats the grid's
  EXPECT_EQ(by_file[0].price_source, "prices file p.ini:3: list (2026-01-01)");

  ASSERT_EQ(shipped.size(), by_file.size());
  for (size_t i = 0; i < shipped.size(); ++i) {
    EXPECT_EQ(by_grid[i].config_id, shipped[i].config_id);
    EXPECT_EQ(by_file[i].config_id, shipped[i].config_id);
    EXPECT_EQ(by_file[i].workload_id, shipped[i].workload_id);
  }

  // The result row records the price and its source, and QPS per dollar follows from it.
  search::PredictorPool pool;
  const auto result = search::run_unit_search(by_file[0], catalog, pool);
  ASSERT_EQ(result.status, search::ConfigStatus::ok) << result.message;
  const auto row = search::result_fields(by_file[0], result);
  EXPECT_EQ(field_text(row, "price_per_gpu_hour"), "4");
  EXPECT_EQ(field_text(row, "price_source"), "prices file p.ini:3: list (2026-01-01)");
  EXPECT_DOUBLE_EQ(result.cost.dollars_per_hour, 4.0 * static_cast<double>(by_file[0].labels.gpus()));
  EXPECT_DOUBLE_EQ(result.cost.qps_per_dollar, result.outcome.capacity_qps / result.cost.dollars_per_hour);
}

TEST(DeploymentSpace, APriceForAGpuWithoutASpecIsAnErrorAtItsLine) {
  auto error_of = [](const std::function<search::GridSpec()>& grid) -> std::string {
    try {
      search::enumerate_grid(grid(), test_support::catalog());
    } catch (const InputError& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_EQ(error_of([] { return test_support::small_grid("prices:\n  a100: 3\n  b200: 9\n"); }),
            "small.yaml:24: prices.b200: unknown GPU 'b200' (known: a100, a40, h100, h200)");
  test_support::TempDir dir;
  std::ofstream(dir.file("p.ini")) << "a100 = 3\nb200 = 9\n";
  search::GridRunSettings run;
  run.grid = "small.yaml";
  run.gpu_prices = dir.file("p.ini");
  EXPECT_EQ(error_of([&] { return run.parse_grid(test_support::small_grid_text(), "."); }),
            dir.file("p.ini") + ":2: b200: unknown GPU 'b200' (known: a100, a40, h100, h200)");
  // A source the sweep file would cut is refused where it is written.
  std::ofstream(dir.file("p.ini")) << "a100 = 3\na100.source = " << std::string(300, 'x') << "\n";
  const auto long_source = error_of([&] { return run.parse_grid(test_support::small_grid_text(), "."); });
  EXPECT_EQ(long_source.rfind(dir.file("p.ini") + ":1: a100: the price's source as results record it takes 321 bytes, "
                                                  "more than the 240 a result keeps",
                              0),
            0u)
      << long_source;
  run.gpu_prices = dir.file("absent.ini");
  EXPECT_EQ(error_of([&] { return run.parse_grid(test_support::small_grid_text(), "."); }),
            "setting gpu-prices: cannot read '" + dir.file("absent.ini") + "'");
}

TEST(DeploymentSpace, AnH200NodeReadsTheH100NodesNetworkProfiles) {
  // A profiling directory with an H200 compute profile (an H100's, copied: only the paths
  // matter here) and, at first, no network profiles.
  test_support::TempDir dir;
  const auto model_dir = dir.path / "compute" / "h200" / "meta-llama" / "Llama-2-7b-hf";
  std::filesystem::create_directories(model_dir);
  std::filesystem::copy_file(test_support::profiling_dir() + "/compute/h100/meta-llama/Llama-2-7b-hf/mlp.csv",
                             model_dir / "mlp.csv");
  const std::string text =
      "models:\n  - identifier: meta-llama/Llama-2-7b-hf\ntraces:\n  - name: conv\n"
      "    trace_file: " +
      test_support::vidur_trace("splitwise_conv.csv") +
      "\n    start_qps: 1\nclusters:\n  - device: h200\n    node: h200_dgx\n    num_gpus: 2\n"
      "schedulers:\n  - scheduler: vllm\ntp_dimensions: [2]\npp_dimensions: [1]\n"
      "batch_sizes: [32]\npredictor:\n  name: learned\n  profiling_dir: " +
      dir.path.string() + "\n";
  auto unit = [&] {
    const auto units = search::enumerate_grid(search::parse_grid_text(text, "g.yaml", "."), test_support::catalog());
    EXPECT_EQ(units.size(), 1u);
    return units.at(0);
  };
  EXPECT_EQ(unit().skip_reason, "no profiling data: " + dir.path.string() +
                                    "/network/h100_dgx/all_reduce.csv does not exist: TP 2 needs all-reduce times "
                                    "measured on node h100_dgx (node h200_dgx borrows its network profiles)");
  std::filesystem::create_directories(dir.path / "network");
  std::filesystem::create_directory_symlink(test_support::profiling_dir() + "/network/h100_dgx",
                                            dir.path / "network" / "h100_dgx");
  const auto runnable = unit();
  EXPECT_EQ(runnable.skip_reason, "");
  const auto inputs = predict::resolve_learned_inputs(
      sim::predictor_context(sim::plan_simulation(runnable.simulation, test_support::catalog())));
  EXPECT_EQ(inputs.all_reduce_file, dir.path.string() + "/network/h100_dgx/all_reduce.csv");
}

TEST(DeploymentSpace, RoutersAreAnAxisAndAGeneratorEntryGivesTheWorkloadItsSettings) {
  const std::string text =
      "models:\n  - identifier: meta-llama/Llama-2-7b-hf\ntraces:\n  - name: fixed\n"
      "    request_generator: synthetic\n    length_generator: fixed\n    prefill_tokens: 300\n"
      "    decode_tokens: 20\n    max_seq_len: 2048\n    num_requests: 50\n    start_qps: 2\n"
      "clusters:\n  - device: a100\n    num_gpus: 2\nschedulers:\n  - scheduler: sarathi\n    chunk_size: 256\n"
      "global_scheduler: [round_robin, lor]\ntp_dimensions: [1]\npp_dimensions: [1]\nbatch_sizes: [8, 16]\n"
      "predictor:\n  name: roofline\n";
  const auto units = search::enumerate_grid(search::parse_grid_text(text, "g.yaml", "."), test_support::catalog());
  ASSERT_EQ(units.size(), 4u);
  // Routers vary slower than TP, PP and batch size.
  EXPECT_EQ(units[0].labels.router, "round_robin");
  EXPECT_EQ(units[1].labels.router, "round_robin");
  EXPECT_EQ(units[2].labels.router, "lor");
  EXPECT_EQ(units[2].simulation.scheduler.global_scheduler, "lor");
  std::set<std::string> ids;
  for (const auto& u : units) {
    EXPECT_TRUE(u.runnable()) << u.skip_reason;
    ids.insert(u.config_id);
    const auto& w = u.simulation.workload;
    EXPECT_EQ(w.generator, "synthetic");
    EXPECT_EQ(w.length_generator, "fixed");
    EXPECT_EQ(w.fixed_prefill_tokens, 300);
    EXPECT_EQ(w.fixed_decode_tokens, 20);
    EXPECT_EQ(w.max_tokens, 2048);
    EXPECT_EQ(w.interval_generator, "poisson");
  }
  EXPECT_EQ(ids.size(), 4u);
  // Same workload whatever the router: capacities are comparable.
  EXPECT_EQ(units[0].workload_id, units[2].workload_id);
}

TEST(DeploymentSpace, VllmV1TakesTheGridsBatchSizeAsItsRequestCapAndItsLabelSaysWhetherItCaches) {
  const std::string text =
      "models:\n  - identifier: meta-llama/Llama-2-7b-hf\ntraces:\n  - name: conv\n    trace_file: " +
      test_support::vidur_trace("splitwise_conv.csv") +
      "\n    start_qps: 1\nclusters:\n  - device: a100\n    num_gpus: 2\nschedulers:\n  - scheduler: vllm_v1\n"
      "  - scheduler: vllm_v1\n    prefix_caching: false\n  - scheduler: vllm_v1\n    max_num_seqs: 7\n"
      "global_scheduler: [round_robin, prefix_aware]\ntp_dimensions: [1]\npp_dimensions: [1, 2]\nbatch_sizes: [32]\n"
      "predictor:\n  name: roofline\n";
  const auto units = search::enumerate_grid(search::parse_grid_text(text, "g.yaml", "."), test_support::catalog());
  ASSERT_EQ(units.size(), 12u);
  EXPECT_EQ(units[0].labels.scheduler, "vllm_v1+apc");
  EXPECT_TRUE(units[0].labels.prefix_caching);
  EXPECT_EQ(units[0].simulation.scheduler.max_num_seqs, 32);
  EXPECT_EQ(units[1].simulation.scheduler.max_num_seqs, 64);  // batch size x PP, as batch-size-cap
  EXPECT_EQ(units[2].labels.scheduler, "vllm_v1+apc/prefix_aware");
  EXPECT_EQ(units[4].labels.scheduler, "vllm_v1");
  EXPECT_FALSE(units[4].labels.prefix_caching);
  EXPECT_FALSE(units[4].simulation.scheduler.prefix_caching);
  EXPECT_EQ(units[8].simulation.scheduler.max_num_seqs, 7);  // the entry's own cap wins
}
