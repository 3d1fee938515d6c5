#include <gtest/gtest.h>

#include <fstream>

#include "infersweep/common/error.hpp"
#include "infersweep/search/grid_spec.hpp"
#include "search_test_support.hpp"

using namespace infersweep;

namespace {

std::string error_of(const std::string& text) {
  try {
    search::parse_grid_text(text, "g.yaml", ".");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST(GridSpec, ReadsEveryListAndDefaults) {
  const auto g = test_support::small_grid();
  ASSERT_EQ(g.models.size(), 1u);
  EXPECT_EQ(g.models[0].identifier, "meta-llama/Llama-2-7b-hf");
  ASSERT_EQ(g.traces.size(), 1u);
  EXPECT_EQ(g.traces[0].num_requests, 400);
  EXPECT_DOUBLE_EQ(g.traces[0].start_qps, 4);
  ASSERT_EQ(g.clusters.size(), 1u);
  EXPECT_EQ(g.clusters[0].node, "a100_pairwise_nvlink");
  ASSERT_EQ(g.schedulers.size(), 2u);
  EXPECT_EQ(g.schedulers[1].label(), "sarathi_cs512");
  EXPECT_EQ(g.tp_dimensions, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(g.predictor.name, "roofline");
  // Vidur's search defaults.
  EXPECT_DOUBLE_EQ(g.search.slo.scheduling_delay_quantile, 0.99);
  EXPECT_DOUBLE_EQ(g.search.slo.scheduling_delay_max_s, 5.0);
  EXPECT_DOUBLE_EQ(g.search.granularity_percent, 2.5);
  EXPECT_EQ(g.search.max_iterations, 20);
  EXPECT_DOUBLE_EQ(g.search.time_limit_s, 1800);
  EXPECT_EQ(g.seed, 42u);
}

TEST(GridSpec, ReadsSearchSettings) {
  const auto g = test_support::small_grid(
      "search:\n  scheduling_delay_quantile: 0.9\n  scheduling_delay_slo: 2\n  ttft_p90_slo: 1.5\n"
      "  tbt_p99_slo: 0.2\n  granularity_percent: 5\n  max_iterations: 7\n  time_limit: 0\n  early_stop: false\n");
  EXPECT_DOUBLE_EQ(g.search.slo.scheduling_delay_quantile, 0.9);
  EXPECT_DOUBLE_EQ(g.search.slo.scheduling_delay_max_s, 2);
  EXPECT_DOUBLE_EQ(g.search.slo.ttft_p90_max_s, 1.5);
  EXPECT_DOUBLE_EQ(g.search.slo.tbt_p99_max_s, 0.2);
  EXPECT_DOUBLE_EQ(g.search.granularity_percent, 5);
  EXPECT_EQ(g.search.max_iterations, 7);
  EXPECT_DOUBLE_EQ(g.search.time_limit_s, 0);
  EXPECT_FALSE(g.search.early_stop);
}

TEST(GridSpec, ErrorsNameFileLineAndKey) {
  const auto text = test_support::small_grid_text();
  // Line numbers count from 1; "clusters:" is line 10, its first entry line 11.
  EXPECT_EQ(error_of(replace(text, "    num_gpus: 4\n", "    num_gpus: 4\n    gpu_count: 4\n")),
            "g.yaml:13: clusters.gpu_count: unknown key (expected one of: device, node, num_gpus, gpus_per_node)");
  EXPECT_EQ(error_of(replace(text, "    num_gpus: 4\n", "    num_gpus: four\n")),
            "g.yaml:12: clusters.num_gpus: expected an integer, got 'four'");
  EXPECT_EQ(error_of(replace(text, "tp_dimensions: [1, 2]", "tp_dimensions: [1, 0]")),
            "g.yaml:17: tp_dimensions: must be at least 1, got 0");
  EXPECT_EQ(error_of(replace(text, "tp_dimensions: [1, 2]", "tp_dimensions: [2, 2]")),
            "g.yaml:17: tp_dimensions: lists 2 twice");
  EXPECT_EQ(error_of(replace(text, "    chunk_size: 512\n", "")),
            "g.yaml:15: schedulers.chunk_size: missing (required for sarathi)");
  EXPECT_EQ(error_of(replace(text, "scheduler: vllm", "scheduler: vllmx")).substr(0, 57),
            "g.yaml:14: schedulers.scheduler: unknown scheduler 'vllmx");
  EXPECT_EQ(error_of(replace(text, "batch_sizes: [64]\n", "")),
            "g.yaml:1: batch_sizes: missing (required): a list such as [1, 2]");
  EXPECT_EQ(error_of(replace(text, "    start_qps: 4\n", "    start_qps: 0\n")),
            "g.yaml:9: traces.start_qps: must be positive");
  EXPECT_EQ(error_of(replace(text, "models:\n", "modles:\n")).substr(0, 36), "g.yaml:1: modles: unknown key (expec");
  EXPECT_EQ(error_of(text + "search:\n  scheduling_delay_quantile: 1.5\n"),
            "g.yaml:23: search.scheduling_delay_quantile: must be a finite number in [0, 1], got 1.5");
  EXPECT_EQ(error_of("models: [\n"), "g.yaml:2: yaml: end of sequence flow not found");
}

TEST(GridSpec, MissingTraceFileSaysWhereItLooked) {
  auto text = replace(test_support::small_grid_text(), test_support::vidur_trace("splitwise_conv.csv"), "nope.csv");
  const auto message = error_of(text);
  EXPECT_NE(message.find("g.yaml:6: traces.trace_file: 'nope.csv' not found"), std::string::npos) << message;
}

TEST(GridSpec, RelativeTraceFilesResolveNextToTheGridThenInTheTraceDirectory) {
  test_support::TempDir dir;
  auto text =
      replace(test_support::small_grid_text(), test_support::vidur_trace("splitwise_conv.csv"), "splitwise_conv.csv");
  const auto path = dir.file("grid.yaml");
  std::ofstream(path) << text;
  search::GridPaths paths;
  paths.trace_dir = test_support::vidur_data_dir() + "/processed_traces";
  const auto g = search::read_grid_file(path, paths);
  EXPECT_EQ(g.traces[0].trace_file,
            (std::filesystem::path(paths.trace_dir) / "splitwise_conv.csv").lexically_normal().string());
  std::ofstream(dir.file("splitwise_conv.csv")) << "arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,10\n";
  EXPECT_EQ(search::read_grid_file(path, paths).traces[0].trace_file, dir.file("splitwise_conv.csv"));
}

TEST(GridSpec, ShippedGridsParse) {
  search::GridPaths paths;
  paths.trace_dir = test_support::vidur_data_dir() + "/processed_traces";
  const auto quick = search::read_grid_file(test_support::data_dir() + "/grids/quick.yaml", paths);
  EXPECT_EQ(quick.predictor.name, "learned");
  const auto vidur = search::read_grid_file(test_support::data_dir() + "/grids/vidur-default.yaml", paths);
  EXPECT_EQ(vidur.schedulers.size(), 6u);
  EXPECT_EQ(vidur.tp_dimensions, (std::vector<int64_t>{1, 2, 4, 8}));
  EXPECT_EQ(vidur.pp_dimensions, (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(vidur.batch_sizes, (std::vector<int64_t>{32, 64, 128}));
  ASSERT_EQ(vidur.clusters.size(), 4u);
  EXPECT_EQ(vidur.clusters[1].device, "h200");
  EXPECT_EQ(vidur.clusters[1].node, "h200_dgx");
  EXPECT_EQ(vidur.clusters[1].num_gpus, 16);
  const auto h200 = search::read_grid_file(test_support::data_dir() + "/grids/h200-vs-h100.yaml", paths);
  EXPECT_EQ(h200.clusters.size(), 2u);
  EXPECT_TRUE(h200.prices.empty());  // priced by the specs unless a prices file is given
  const auto cached = search::read_grid_file(test_support::data_dir() + "/grids/prefix-caching.yaml", paths);
  ASSERT_EQ(cached.traces.size(), 2u);
  EXPECT_EQ(cached.traces[0].generator, "conversation");
  EXPECT_EQ(cached.schedulers.size(), 5u);
  EXPECT_EQ(cached.global_schedulers, (std::vector<std::string>{"round_robin", "prefix_aware"}));
}

TEST(GridSpec, UnknownPlugInNamesAreGridErrorsWithTheirLine) {
  const auto text = test_support::small_grid_text();
  EXPECT_EQ(error_of(replace(text, "  name: roofline\n", "  name: oracle\n")),
            "g.yaml:21: predictor.name: unknown predictor 'oracle' (expected one of: learned, roofline, table)");
  EXPECT_EQ(error_of(text + "global_scheduler: best\n"),
            "g.yaml:22: global_scheduler: unknown global scheduler 'best' (expected one of: least_kv, "
            "least_outstanding_tokens, lor, prefix_aware, random, round_robin)");
}

TEST(GridSpec, SchedulerEntriesTakeOnlyTheSettingsTheirSchedulerReads) {
  const auto text = test_support::small_grid_text();
  EXPECT_EQ(error_of(replace(text, "  - scheduler: vllm\n", "  - scheduler: vllm\n    chunk_size: 256\n")),
            "g.yaml:15: schedulers.chunk_size: applies to sarathi only");
  EXPECT_EQ(error_of(replace(text, "  - scheduler: vllm\n", "  - scheduler: vllm\n    chunk: 256\n")),
            "g.yaml:15: schedulers.chunk: unknown key (expected one of: scheduler, watermark_blocks_fraction, "
            "max_tokens_in_batch)");
  // A setting the scheduler reads reaches its configs; max_tokens_in_batch defaults to max_seq_len.
  const auto grid = search::parse_grid_text(
      replace(text, "  - scheduler: vllm\n", "  - scheduler: vllm\n    watermark_blocks_fraction: 0.05\n"), "g.yaml",
      ".");
  EXPECT_DOUBLE_EQ(grid.schedulers[0].values.watermark_blocks_fraction, 0.05);
  EXPECT_TRUE(grid.schedulers[0].sets("watermark-blocks-fraction"));
  EXPECT_FALSE(grid.schedulers[0].sets("max-tokens-in-batch"));
}

TEST(GridSpec, RepeatedKeysAtAnyLevelAreErrorsWithBothLines) {
  const auto text = test_support::small_grid_text();
  // yaml-cpp would read the first tp_dimensions and drop the second without a word.
  EXPECT_EQ(error_of(text + "tp_dimensions: [4]\n"), "g.yaml:22: tp_dimensions: repeated key (first given on line 17)");
  EXPECT_EQ(error_of(replace(text, "    num_gpus: 4\n", "    num_gpus: 4\n    num_gpus: 8\n")),
            "g.yaml:13: clusters.num_gpus: repeated key (first given on line 12)");
  EXPECT_EQ(error_of(replace(text, "  name: roofline\n", "  name: roofline\n  name: learned\n")),
            "g.yaml:22: predictor.name: repeated key (first given on line 21)");
}

TEST(GridSpec, ASecondYamlDocumentIsAnError) {
  const auto text = test_support::small_grid_text();
  EXPECT_EQ(error_of(text + "---\nseed: 3\n"),
            "g.yaml:22: yaml: a second YAML document; a grid file holds one document");
  // Malformed text on which yaml-cpp's LoadAll never returns.
  EXPECT_NE(error_of(",,,,,,,,,,,models:\n  - nam").find("g.yaml:"), std::string::npos);
  EXPECT_EQ(error_of(""), "g.yaml: grid: expected a YAML mapping with models, traces, ...");
}

TEST(GridSpec, AByteOrderMarkIsAccepted) {
  EXPECT_EQ(search::parse_grid_text("\xef\xbb\xbf" + test_support::small_grid_text(), "g.yaml", ".").models.size(), 1u);
}

TEST(GridSpec, ATraceWithBadContentIsAnErrorWhenTheGridIsRead) {
  test_support::TempDir dir;
  const auto trace = dir.file("bad.csv");
  std::ofstream(trace) << "num_prefill_tokens,num_decode_tokens\n10,5\n9223372036854775807,1\n";
  const auto text = replace(test_support::small_grid_text(), test_support::vidur_trace("splitwise_conv.csv"), trace);
  EXPECT_EQ(error_of(text), trace +
                                ":3: column 'num_prefill_tokens': expected a token count in [0, 1,073,741,824], got "
                                "9223372036854775807");
  const auto as_dir =
      replace(test_support::small_grid_text(), test_support::vidur_trace("splitwise_conv.csv"), dir.path.string());
  EXPECT_NE(error_of(as_dir).find("g.yaml:6: traces.trace_file: '" + dir.path.string() + "' is a directory"),
            std::string::npos);
}

TEST(GridSpec, AGridPathThatIsADirectoryIsNamedAsOne) {
  test_support::TempDir dir;
  try {
    search::read_grid_file(dir.path.string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

TEST(GridSpec, NestedAliasesAreCheckedOnceEach) {
  // Ten levels of ten aliases each: 10^10 paths, 11 nodes. A walk that follows every path hangs.
  std::string text = "l0: &l0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
  for (int level = 1; level <= 10; ++level) {
    const auto previous = "*l" + std::to_string(level - 1);
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ", " : "") + previous;
    text += "]\n";
  }
  EXPECT_EQ(error_of(text).substr(0, 30), "g.yaml:1: l0: unknown key (exp");
}

TEST(GridSpec, PricesAreANumberOrAMappingPerGpu) {
  const auto text = test_support::small_grid_text();
  const auto g = search::parse_grid_text(
      text + "prices:\n  a100: 3\n  h100:\n    price_per_hour: 5.5\n    source: a quote\n    date: 2026-01-01\n",
      "g.yaml", ".");
  ASSERT_EQ(g.prices.size(), 2u);
  EXPECT_EQ(g.prices[0].gpu, "a100");
  EXPECT_DOUBLE_EQ(g.prices[0].price.per_hour, 3);
  EXPECT_EQ(g.prices[0].price.source, "grid g.yaml:23: prices.a100");
  EXPECT_EQ(g.prices[1].price.source, "grid g.yaml:24: prices.h100: a quote (2026-01-01)");
  EXPECT_DOUBLE_EQ(g.prices[1].price.per_hour, 5.5);
  EXPECT_TRUE(search::parse_grid_text(text, "g.yaml", ".").prices.empty());

  EXPECT_EQ(error_of(text + "prices:\n  a100: cheap\n"),
            "g.yaml:23: prices.a100: expected a positive price in USD per GPU-hour, or a mapping with price_per_hour, "
            "source and date; got 'cheap'");
  EXPECT_EQ(error_of(text + "prices:\n  a100: -1\n"),
            "g.yaml:23: prices.a100: expected a positive price in USD per GPU-hour, or a mapping with price_per_hour, "
            "source and date; got '-1'");
  EXPECT_EQ(error_of(text + "prices:\n  a100: {price_per_hour: 0}\n"),
            "g.yaml:23: prices.a100.price_per_hour: must be positive (USD per GPU-hour)");
  EXPECT_EQ(error_of(text + "prices:\n  a100: {price: 2}\n"),
            "g.yaml:23: prices.a100.price: unknown key (expected one of: price_per_hour, source, date)");
  EXPECT_EQ(error_of(text + "prices: [a100, 2]\n"), "g.yaml:22: prices: expected a mapping of keys to values");
}

TEST(GridSpec, AListOfProfilingDirectoriesResolvesEachAgainstTheGridsFolder) {
  const auto as_list = search::parse_grid_text(
      test_support::small_grid_text("  profiling_dir: [vidur/profiling, /abs/h100, ../gpu-profiles/h200]\n"), "g.yaml",
      "/grids/here");
  const std::vector<std::string> expected{"/grids/here/vidur/profiling", "/abs/h100", "/grids/gpu-profiles/h200"};
  EXPECT_EQ(as_list.predictor.learned.profiling_dirs, expected);
  const auto as_text = search::parse_grid_text(
      test_support::small_grid_text("  profiling_dir: vidur/profiling, /abs/h100,../gpu-profiles/h200\n"), "g.yaml",
      "/grids/here");
  EXPECT_EQ(as_text.predictor.learned.profiling_dirs, expected);
}

TEST(GridSpec, RoutersAreOneNameOrAListAndEachIsChecked) {
  EXPECT_EQ(test_support::small_grid().global_schedulers, (std::vector<std::string>{"round_robin"}));
  EXPECT_EQ(test_support::small_grid("global_scheduler: lor\n").global_schedulers, (std::vector<std::string>{"lor"}));
  EXPECT_EQ(test_support::small_grid("global_scheduler: [round_robin, lor]\n").global_schedulers,
            (std::vector<std::string>{"round_robin", "lor"}));
  const auto text = test_support::small_grid_text();
  EXPECT_EQ(error_of(text + "global_scheduler: [lor, best]\n"),
            "g.yaml:22: global_scheduler: unknown global scheduler 'best' (expected one of: " +
                sim::builtin_global_schedulers().names_joined() + ")");
  EXPECT_EQ(error_of(text + "global_scheduler: [lor, lor]\n"), "g.yaml:22: global_scheduler: lists 'lor' twice");
  EXPECT_EQ(error_of(text + "global_scheduler: []\n"), "g.yaml:22: global_scheduler: must list at least one router");
}

TEST(GridSpec, ATraceEntryMayNameARequestGeneratorWithItsOwnWorkloadSettings) {
  const std::string head = "models:\n  - identifier: meta-llama/Llama-2-7b-hf\ntraces:\n  - name: fixed\n";
  const std::string tail =
      "    start_qps: 2\nclusters:\n  - device: a100\n    num_gpus: 1\nschedulers:\n  - scheduler: vllm\n"
      "tp_dimensions: [1]\npp_dimensions: [1]\nbatch_sizes: [8]\n";
  const auto g = search::parse_grid_text(
      head + "    request_generator: synthetic\n    length_generator: fixed\n    prefill_tokens: 300\n" + tail,
      "g.yaml", ".");
  ASSERT_EQ(g.traces.size(), 1u);
  EXPECT_EQ(g.traces[0].generator, "synthetic");
  EXPECT_TRUE(g.traces[0].trace_file.empty());
  ASSERT_EQ(g.traces[0].settings.size(), 2u);
  EXPECT_EQ(g.traces[0].settings[0].first->name(), "length-generator");
  EXPECT_EQ(g.traces[0].settings[1].second, "300");

  // The grid owns count, cap, seed and arrivals; a Vidur-style entry takes no workload settings.
  EXPECT_EQ(error_of(head + "    request_generator: synthetic\n    qps: 3\n" + tail).rfind("g.yaml:6: traces.qps: ", 0),
            0u);
  EXPECT_EQ(error_of(head + "    trace_file: x.csv\n    prefill_tokens: 300\n" + tail)
                .rfind("g.yaml:6: traces.prefill_tokens: ", 0),
            0u);
  EXPECT_EQ(error_of(head + "    request_generator: trace_replay\n" + tail),
            "g.yaml:5: traces.request_generator: trace_replay replays its own arrival times, so it cannot be probed "
            "at a rate");
  EXPECT_EQ(error_of(head + "    request_generator: best\n" + tail)
                .rfind("g.yaml:5: traces.request_generator: unknown request generator 'best'", 0),
            0u);
  EXPECT_EQ(error_of(head + tail), "g.yaml:4: traces.trace_file: missing (required)");
}
