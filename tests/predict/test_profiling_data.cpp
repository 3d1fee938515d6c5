// Reading Vidur's profiling CSVs: the rows each operator learns from, and precise errors.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "infersweep/predict/profile_plausibility.hpp"
#include "infersweep/predict/profiling_data.hpp"
#include "test_support.hpp"

namespace infersweep::predict {
namespace {

using test_support::catalog;
using test_support::profiling_dir;

std::string mlp_path(const std::string& gpu, const std::string& model) {
  return profiling_dir() + "/compute/" + gpu + "/" + model + "/mlp.csv";
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(ProfilingData, MlpRowsForEachTpComeFromThatTpOnly) {
  const auto model = catalog().model("Llama-2-70b-hf");
  const auto path = mlp_path("h100", model.name);
  const auto table = io::CsvTable::read(path);
  const auto tp_column = table.column("num_tensor_parallel_workers");
  for (int64_t tp : {1, 2, 4, 8}) {
    const auto sets = read_mlp_profile(path, model, tp);
    ASSERT_EQ(sets.size(), mlp_profile_operators().size());
    for (const auto& set : sets) {
      EXPECT_EQ(set.feature_names, std::vector<std::string>{"num_tokens"});
      EXPECT_GT(set.size(), 250);
      EXPECT_EQ(static_cast<size_t>(set.size()), set.lines.size());
    }
    // Every selected line holds that TP in the file.
    std::map<int64_t, size_t> row_of_line;
    for (size_t r = 0; r < table.num_rows(); ++r) row_of_line[table.line_of(r)] = r;
    for (auto line : sets.front().lines) EXPECT_EQ(table.as_int64(row_of_line.at(line), tp_column), tp);
  }
  // Same model, a shape not profiled at TP 3.
  EXPECT_NE(
      test_support::input_error_of([&] { read_mlp_profile(path, model, 3); }).find("num_tensor_parallel_workers == 3"),
      std::string::npos);
}

TEST(ProfilingData, MlpFeatureAndTargetMatchTheFile) {
  const auto model = catalog().model("Llama-2-7b-hf");
  const auto path = mlp_path("a100", model.name);
  const auto sets = read_mlp_profile(path, model, 1);
  const auto table = io::CsvTable::read(path);
  const auto& up = sets[2];
  ASSERT_EQ(up.op, "mlp_up_proj");
  // Row 0 of the set is the first TP-1 row of the file.
  size_t first = 0;
  while (table.cell(first, table.column("num_tensor_parallel_workers")) != "1") ++first;
  EXPECT_EQ(up.lines.front(), table.line_of(first));
  EXPECT_DOUBLE_EQ(up.features(0, 0), table.as_double(first, table.column("num_tokens")));
  EXPECT_DOUBLE_EQ(up.target(0), table.as_double(first, table.column("time_stats.mlp_up_proj.median")));
}

TEST(ProfilingData, ShapeFilterRejectsAnotherModelsFile) {
  // phi-2's file holds none of Llama-2-7b's rows.
  const auto message = test_support::input_error_of(
      [&] { read_mlp_profile(mlp_path("a100", "microsoft/phi-2"), catalog().model("Llama-2-7b-hf"), 1); });
  EXPECT_NE(message.find("phi-2/mlp.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("n_embd == 4096"), std::string::npos) << message;
  EXPECT_NE(message.find("the file has"), std::string::npos) << message;
}

TEST(ProfilingData, BrokenMlpFilesNameFileLineAndColumn) {
  test_support::TempDir dir;
  const auto model = catalog().model("Llama-2-7b-hf");
  const auto text = io::read_file_bytes(mlp_path("a100", model.name));
  const auto header_end = text.find('\n');
  const auto header = text.substr(0, header_end);

  // A missing target column.
  auto no_column = text;
  const auto pos = no_column.find("time_stats.mlp_up_proj.median");
  no_column.replace(pos, std::string("time_stats.mlp_up_proj.median").size(), "renamed");
  write_text(dir.file("missing.csv"), no_column);
  auto message = test_support::input_error_of([&] { read_mlp_profile(dir.file("missing.csv"), model, 1); });
  EXPECT_NE(message.find("missing.csv:1"), std::string::npos) << message;
  EXPECT_NE(message.find("time_stats.mlp_up_proj.median"), std::string::npos) << message;

  // A non-numeric cell of a column the model learns from, in a selected row (line 2, TP 1).
  const auto columns = io::CsvTable::parse(header + "\n", "header").header();
  const auto target =
      static_cast<size_t>(std::find(columns.begin(), columns.end(), "time_stats.mlp_up_proj.median") - columns.begin());
  size_t start = header_end + 1;
  for (size_t i = 0; i < target; ++i) start = text.find(',', start) + 1;
  auto bad_cell = text;
  bad_cell.replace(start, text.find(',', start) - start, "fast");
  write_text(dir.file("cell.csv"), bad_cell);
  message = test_support::input_error_of([&] { read_mlp_profile(dir.file("cell.csv"), model, 1); });
  EXPECT_NE(message.find("cell.csv:2"), std::string::npos) << message;
  EXPECT_NE(message.find("time_stats.mlp_up_proj.median"), std::string::npos) << message;
  EXPECT_NE(message.find("'fast'"), std::string::npos) << message;

  // A ragged row.
  write_text(dir.file("ragged.csv"), header + "\n1,2,3\n");
  message = test_support::input_error_of([&] { read_mlp_profile(dir.file("ragged.csv"), model, 1); });
  EXPECT_NE(message.find("ragged.csv:2"), std::string::npos) << message;

  // A missing file.
  message = test_support::input_error_of([&] { read_mlp_profile(dir.file("absent.csv"), model, 1); });
  EXPECT_NE(message.find("absent.csv"), std::string::npos) << message;
}

TEST(ProfilingData, ExactDuplicateRowsAreDroppedOnce) {
  test_support::TempDir dir;
  const auto model = catalog().model("Llama-2-7b-hf");
  const auto text = io::read_file_bytes(mlp_path("a100", model.name));
  const auto first_line_end = text.find('\n', text.find('\n') + 1);
  const auto first_row = text.substr(text.find('\n') + 1, first_line_end - text.find('\n'));
  write_text(dir.file("dup.csv"), text + first_row);
  EXPECT_EQ(read_mlp_profile(dir.file("dup.csv"), model, 1)[0].size(),
            read_mlp_profile(mlp_path("a100", model.name), model, 1)[0].size());
}

TEST(ProfilingData, NetworkFiltersFollowTpAndNodeCount) {
  const auto model = catalog().model("Llama-2-70b-hf");
  const auto dir = profiling_dir() + "/network/a100_pairwise_nvlink/";
  const auto table = io::CsvTable::read(dir + "all_reduce.csv");
  for (int64_t tp : {2, 4}) {
    const auto set = read_all_reduce_profile(dir + "all_reduce.csv", model, tp);
    EXPECT_GT(set.size(), 900);
    int64_t expected = 0;
    for (size_t r = 0; r < table.num_rows(); ++r)
      expected += table.as_int64(r, table.column("num_workers")) == tp &&
                  table.as_int64(r, table.column("devices_per_node")) == tp;
    EXPECT_LE(set.size(), expected);  // exact duplicates removed
    // num_tokens = bytes / (2 * hidden)
    EXPECT_DOUBLE_EQ(set.features(0, 0) * 2.0 * 8192.0,
                     table.as_double(static_cast<size_t>(set.lines[0] - 2), table.column("size")));
  }
  EXPECT_NE(test_support::input_error_of([&] {
              read_all_reduce_profile(dir + "all_reduce.csv", model, 8);
            }).find("num_workers == 8"),
            std::string::npos);
  const auto within = read_send_recv_profile(dir + "send_recv.csv", model, false);
  const auto across = read_send_recv_profile(dir + "send_recv.csv", model, true);
  EXPECT_GT(within.size(), 900);
  EXPECT_GT(across.size(), 900);
  EXPECT_NE(within.filter, across.filter);
}

TEST(ProfilingData, AttentionSplitsDecodeAndPrefillRowsOfOneShape) {
  const auto model = catalog().model("Llama-2-70b-hf");
  const auto profile = read_attention_profile(test_support::legacy_attention_file(), model, 2, 16);
  EXPECT_EQ(profile.decode.feature_names, (std::vector<std::string>{"batch_size", "kv_cache_size"}));
  EXPECT_EQ(profile.prefill.feature_names, (std::vector<std::string>{"kv_cache_size", "prefill_chunk_size_squared"}));
  EXPECT_GT(profile.decode.size(), 10000);
  EXPECT_GT(profile.prefill.size(), 4000);
  EXPECT_EQ(profile.kv_cache_save.size(), 0);  // the legacy file does not measure it
  for (Eigen::Index i = 0; i < profile.prefill.size(); ++i) {
    const double c = std::sqrt(profile.prefill.features(i, 1));
    EXPECT_EQ(c, std::floor(c));
    EXPECT_GT(c, 0);
  }
  // Only TP 2 and block size 16 exist for this shape.
  EXPECT_NE(test_support::input_error_of([&] {
              read_attention_profile(test_support::legacy_attention_file(), model, 4, 16);
            }).find("num_tensor_parallel_workers == 4"),
            std::string::npos);
  EXPECT_NE(test_support::input_error_of([&] {
              read_attention_profile(test_support::legacy_attention_file(), model, 2, 32);
            }).find("block_size == 32"),
            std::string::npos);
  EXPECT_NE(test_support::input_error_of([&] {
              read_attention_profile(test_support::legacy_attention_file(), catalog().model("Llama-2-7b-hf"), 2, 16);
            }).find("n_embd == 4096"),
            std::string::npos);
}

TEST(ProfilingData, CpuOverheadRowsOfOneModelAndTp) {
  const auto path = test_support::vidur_data_dir() + "/legacy-e2d00e9/profiling/a100/cpu_overheads.csv";
  const auto sets = read_cpu_overhead_profile(path, catalog().model("CodeLlama-34b-Instruct-hf"), 2);
  ASSERT_EQ(sets.size(), 5u);
  EXPECT_EQ(sets[0].op, "schedule");
  EXPECT_GT(sets[0].size(), 3);
  EXPECT_EQ(sets[0].feature_names, std::vector<std::string>{"batch_size"});
  EXPECT_NE(test_support::input_error_of([&] {
              read_cpu_overhead_profile(path, catalog().model("CodeLlama-34b-Instruct-hf"), 3);
            }).find("tensor_parallel_degree == 3"),
            std::string::npos);
}

TEST(ProfilingData, TimesThatNoMeasurementGivesAreErrorsWithFileLineAndColumn) {
  test_support::TempDir dir;
  const auto model = catalog().model("Llama-2-7b-hf");
  const auto text = io::read_file_bytes(mlp_path("a100", model.name));
  const auto header = text.substr(0, text.find('\n'));
  const auto columns = io::CsvTable::parse(header + "\n", "header").header();
  // Replaces the cell of `column` in the first data row (line 2, a TP1 row of this model).
  const auto with_cell = [&](const std::string& column, const std::string& value) {
    const auto index = static_cast<size_t>(std::find(columns.begin(), columns.end(), column) - columns.begin());
    size_t start = text.find('\n') + 1;
    for (size_t i = 0; i < index; ++i) start = text.find(',', start) + 1;
    auto changed = text;
    changed.replace(start, text.find_first_of(",\n", start) - start, value);
    return changed;
  };
  for (const std::string bad : {"-0.189", "0", "-0", "nan", "inf", "-1e300"}) {
    SCOPED_TRACE(bad);
    write_text(dir.file("mlp.csv"), with_cell("time_stats.mlp_up_proj.median", bad));
    const auto message = test_support::input_error_of([&] { read_mlp_profile(dir.file("mlp.csv"), model, 1); });
    EXPECT_NE(message.find("mlp.csv:2: column 'time_stats.mlp_up_proj.median'"), std::string::npos) << message;
  }
  write_text(dir.file("tokens.csv"), with_cell("num_tokens", "-4"));
  EXPECT_NE(test_support::input_error_of([&] {
              read_mlp_profile(dir.file("tokens.csv"), model, 1);
            }).find("tokens.csv:2: column 'num_tokens': expected a non-negative size"),
            std::string::npos);

  const auto network = io::read_file_bytes(profiling_dir() + "/network/a100_pairwise_nvlink/all_reduce.csv");
  const auto net_columns = io::CsvTable::parse(network.substr(0, network.find('\n')) + "\n", "header").header();
  // Every all_reduce time negated, as in the reproduction: the first selected row fails.
  const auto table = io::CsvTable::parse(network, "all_reduce.csv");
  std::string negated = network.substr(0, network.find('\n') + 1);
  const auto target = table.column("time_stats.all_reduce.median");
  for (size_t row = 0; row < table.num_rows(); ++row) {
    for (size_t c = 0; c < net_columns.size(); ++c) {
      const auto& cell = table.cell(row, c);
      negated += (c ? "," : "") + (c == target && !cell.empty() ? "-" + cell : io::csv_quote(cell));
    }
    negated += "\n";
  }
  write_text(dir.file("all_reduce.csv"), negated);
  EXPECT_NE(test_support::input_error_of([&] {
              read_all_reduce_profile(dir.file("all_reduce.csv"), model, 2);
            }).find("column 'time_stats.all_reduce.median': expected a positive time in ms"),
            std::string::npos);
}

TEST(ProfilingData, GemmTimesFasterThanThePeakAllowsAreFoundWithTheirLine) {
  test_support::TempDir dir;
  const auto model = catalog().model("Llama-2-7b-hf");
  PredictorContext context;
  context.model = model;
  context.gpu = catalog().gpu("a100");
  context.node = catalog().node("a100_dgx");
  const auto path = mlp_path("a100", model.name);
  // Vidur's own measurements are all possible.
  EXPECT_TRUE(find_implausible_times(read_mlp_profile(path, model, 1), context).empty());

  // Line 2 (a TP1 row) with its mlp_up_proj time divided by 1000.
  const auto text = io::read_file_bytes(path);
  const auto table = io::CsvTable::parse(text, "mlp.csv");
  const auto column = table.column("time_stats.mlp_up_proj.median");
  std::string changed = text.substr(0, text.find('\n') + 1);
  for (size_t row = 0; row < table.num_rows(); ++row) {
    for (size_t c = 0; c < table.header().size(); ++c) {
      const auto& cell = table.cell(row, c);
      changed += (c ? "," : "") +
                 (row == 0 && c == column ? format_double(table.as_double(row, c) / 1000) : io::csv_quote(cell));
    }
    changed += "\n";
  }
  write_text(dir.file("mlp.csv"), changed);
  const auto found = find_implausible_times(read_mlp_profile(dir.file("mlp.csv"), model, 1), context);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].line, 2);
  EXPECT_EQ(found[0].op, "mlp_up_proj");
  EXPECT_LT(found[0].measured_ms, found[0].bound_ms);
}

}  // namespace
}  // namespace infersweep::predict
