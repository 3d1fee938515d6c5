#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "infersweep/cli/setting_options.hpp"
#include "infersweep/cli/simulate_command.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "test_support.hpp"

using namespace infersweep;
using infersweep::test_support::TempDir;

namespace {

int run_quiet(std::vector<std::string> args) {
  args.push_back("--quiet");
  args.push_back("--data-dir=" + test_support::data_dir());
  std::ostringstream sink;
  struct Restore {
    std::streambuf* old;
    ~Restore() { std::cout.rdbuf(old); }
  } restore{std::cout.rdbuf(sink.rdbuf())};
  return cli::run_simulate(args);
}

// Runs `simulate` with the given arguments and returns the InputError as the command line says it.
std::string error_of(std::vector<std::string> args) {
  try {
    run_quiet(std::move(args));
  } catch (const InputError& e) {
    return cli::describe_error(e);
  }
  return "(no error)";
}

}  // namespace

TEST(SimulateCommand, SameSeedGivesByteIdenticalOutputs) {
  TempDir a, b, c;
  const std::vector<std::string> common{"--num-requests=200", "--length-generator=uniform", "--qps=3",
                                        "--replicas=2",       "--global-scheduler=random",  "--chrome-trace"};
  auto with_dir = [&](const TempDir& d, std::vector<std::string> extra) {
    auto args = common;
    args.push_back("--output-dir=" + d.path.string());
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  ASSERT_EQ(run_quiet(with_dir(a, {})), 0);
  ASSERT_EQ(run_quiet(with_dir(b, {})), 0);
  ASSERT_EQ(run_quiet(with_dir(c, {"--seed=7"})), 0);
  for (const char* file : {"summary.json", "request_metrics.csv", "chrome_trace.json"}) {
    const auto first = io::read_file_bytes(a.file(file));
    ASSERT_FALSE(first.empty()) << file;
    EXPECT_EQ(first, io::read_file_bytes(b.file(file))) << file;
  }
  EXPECT_NE(io::read_file_bytes(a.file("request_metrics.csv")), io::read_file_bytes(c.file("request_metrics.csv")));
}

TEST(SimulateCommand, DefaultsRunAndConfigFileMergesUnderTheCommandLine) {
  TempDir d;
  const auto config = d.file("run.ini");
  std::ofstream(config) << "# a deployment\nreplica-scheduler = vllm\nnum-requests = 20\nqps = 1\n";
  ASSERT_EQ(run_quiet({"--config=" + config, "--qps=2", "--output-dir=" + d.path.string()}), 0);
  const auto summary = io::read_file_bytes(d.file("summary.json"));
  EXPECT_NE(summary.find("\"replica_scheduler\": \"vllm\""), std::string::npos);
  EXPECT_NE(summary.find("qps = 2\\n"), std::string::npos);
  EXPECT_NE(summary.find("\"num_completed\": 20"), std::string::npos);
  const auto parsed = cli::parse_simulate_options({});
  EXPECT_EQ(parsed.config.model, "meta-llama/Llama-2-7b-hf");
  EXPECT_EQ(parsed.config.gpu, "a100");
  EXPECT_EQ(parsed.config.scheduler.replica_scheduler, "sarathi");
  EXPECT_EQ(parsed.config.workload.interval_generator, "poisson");
}

TEST(SimulateCommand, BadInputsGiveOneLineErrorsNamingWhatIsWrong) {
  TempDir d;
  const auto bad_csv = d.file("bad.csv");
  std::ofstream(bad_csv) << "arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,10,5\n1.0,ten,5\n";
  const auto ragged_csv = d.file("ragged.csv");
  std::ofstream(ragged_csv) << "arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,10\n";
  const auto no_column = d.file("nocol.csv");
  std::ofstream(no_column) << "arrived_at,prompt,output\n0.0,10,5\n";
  const auto config = d.file("bad.ini");
  std::ofstream(config) << "qps = 2\nchunk_size = 256\n";
  const auto bad_value = d.file("badvalue.ini");
  std::ofstream(bad_value) << "\ntp = two\n";

  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--model=internlm-20b", "--gpu=a100", "--node=a100_dgx", "--tp=3"},
       "option --tp: tensor parallelism 3 does not divide the 40 attention heads of internlm/internlm-20b"},
      {{"--pp=3"}, "option --pp: pipeline parallelism 3 does not divide the 32 layers of meta-llama/Llama-2-7b-hf"},
      {{"--model=Llama-2-70b-hf"}, "option --model: meta-llama/Llama-2-70b-hf does not fit on a100 at TP1 PP1"},
      {{"--request-generator=trace_replay", "--trace-file=" + bad_csv},
       bad_csv + ":3: column 'num_prefill_tokens': expected an integer, got 'ten'"},
      {{"--request-generator=trace_replay", "--trace-file=" + ragged_csv},
       ragged_csv + ":2: expected 3 cells as in the header, got 2"},
      {{"--request-generator=trace_replay", "--trace-file=" + no_column},
       no_column + ":1: column 'num_prefill_tokens': missing from the header"},
      {{"--replica-scheduler=fcfs"},
       "option --replica-scheduler: unknown replica scheduler 'fcfs' (expected one of: faster_transformer, lightllm, "
       "orca, sarathi, vllm, vllm_v1)"},
      {{"--global-scheduler=best"}, "option --global-scheduler: unknown global scheduler 'best'"},
      {{"--model=gpt-4"}, "option --model: unknown model 'gpt-4'"},
      {{"--config=" + config}, config + ":2: chunk_size: unknown option"},
      {{"--config=" + bad_value}, bad_value + ":2: tp: expected an integer >= 1, got 'two'"},
      {{"--qps=-1"}, "option --qps: must be a finite number > 0, got -1"},
      {{"--replica-scheduler=lightllm", "--pp=2"}, "option --pp: lightllm does not support pipeline parallelism"},
      {{"--length-generator=trace", "--length-trace-file=/no/such.csv"}, "/no/such.csv: cannot open file"},
      {{"--prefill-tokens=4000", "--decode-tokens=512"},
       "option --prefill-tokens: prompt + output (4512) exceeds --max-tokens (4096)"},
      {{"--gpu=h100", "--node=a100_dgx"}, "option --node: node 'a100_dgx' holds a100 GPUs, not h100"},
      {{"--replica-scheduler=vllm", "--max-tokens-in-batch=1024"},
       "option --max-tokens-in-batch: 1024 is below --max-tokens (4096)"},
      {{"--tp=8", "--model=Llama-2-70b-hf"},
       "option --tp: a tensor-parallel group of 8 GPUs does not fit in one a100_pairwise_nvlink node (4 GPUs)"},
      {{"--kv-accounting=exact"}, "option --kv-accounting: unknown value 'exact' (expected one of: per_stage, vidur)"},
      {{"--no-such-flag"}, "command line: unrecognised option '--no-such-flag'"},
  };
  for (const auto& [args, expected] : cases) {
    auto with_dir = args;
    with_dir.push_back("--output-dir=" + d.path.string());
    const auto message = error_of(with_dir);
    EXPECT_EQ(message.rfind(expected, 0), 0u)
        << "args: " << args.front() << "\n got: " << message << "\n want prefix: " << expected;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(SimulateCommand, ARunTooLargeForMemoryIsRefusedBeforeItAllocates) {
  // 480 TB: more than any machine this runs on; once it grew at 190 MB/s with no output.
  const auto count = error_of({"--num-requests", "1000000000000"});
  EXPECT_EQ(count.rfind("option --num-requests: about 1000000000000 requests need about ", 0), 0u) << count;
  EXPECT_NE(count.find("of memory are available"), std::string::npos) << count;
  const auto duration = error_of({"--duration", "1e12"});
  EXPECT_EQ(duration.rfind("option --duration: ", 0), 0u) << duration;
}

TEST(SimulateCommand, AConfigFileWithAByteOrderMarkReadsItsFirstKey) {
  TempDir d;
  const auto config = d.file("excel.ini");
  std::ofstream(config) << "\xef\xbb\xbfnum-requests = 8\r\nreplica-scheduler = vllm\r\n";
  const auto parsed = cli::parse_simulate_options({"--config=" + config});
  EXPECT_EQ(parsed.config.workload.num_requests, 8);
  EXPECT_EQ(parsed.config.scheduler.replica_scheduler, "vllm");
}

TEST(SimulateCommand, CutAndReorderedTraceRowsAreCountedInTheSummaryAndWarned) {
  TempDir d;
  const auto trace = d.file("trace.csv");
  std::ofstream(trace) << "arrived_at,num_prefill_tokens,num_decode_tokens\n0,100,10\n2,5000,10\n1,300,20\n";
  std::ostringstream warnings;
  struct Restore {
    std::streambuf* old;
    ~Restore() { std::cerr.rdbuf(old); }
  } restore{std::cerr.rdbuf(warnings.rdbuf())};
  ASSERT_EQ(run_quiet({"--request-generator=trace_replay", "--trace-file=" + trace, "--output-dir=" + d.path.string()}),
            0);
  const auto summary = io::read_file_bytes(d.file("summary.json"));
  EXPECT_NE(summary.find("\"requests_cut_to_max_tokens\": 1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"out_of_order_arrivals\": 1"), std::string::npos) << summary;
  EXPECT_NE(warnings.str().find("warning: 1 requests were cut to --max-tokens"), std::string::npos) << warnings.str();
  EXPECT_NE(warnings.str().find("warning: " + trace + ":4: 1 rows arrive before the row above them"), std::string::npos)
      << warnings.str();
}
