// Several profiling directories in order: which one serves each operator, eager element-wise
// kernels and their fused-kernel estimate, errors naming the directory at fault, and the grid
// cache key. Small synthetic CSVs in a temporary directory keep these tests fast.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "infersweep/predict/elementwise_estimate.hpp"
#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/predict/profiling_data.hpp"
#include "test_support.hpp"

namespace infersweep::predict {
namespace {

namespace fs = std::filesystem;
using test_support::catalog;

// The fused kernels of the synthetic data follow the estimate's own form exactly.
constexpr double kFloorMs = 0.004;
constexpr double kEfficiency = 0.6;

const std::vector<std::string>& gemm_operators() {
  static const std::vector<std::string> ops{"attn_pre_proj", "attn_post_proj", "mlp_up_proj", "mlp_down_proj"};
  return ops;
}

PredictorContext context(const std::string& model, const std::string& gpu, const std::vector<std::string>& dirs,
                         int64_t tp = 1) {
  PredictorContext c;
  c.model = catalog().model(model);
  c.gpu = catalog().gpu(gpu);
  c.node = catalog().node(gpu + "_pairwise_nvlink");
  c.tensor_parallel = tp;
  c.known_gpus = catalog().gpus();
  c.config.name = "learned";
  c.config.learned.profiling_dirs = dirs;
  c.config.learned.cache_dir = "none";
  c.config.learned.k_folds = 3;
  c.config.learned.max_tokens_per_request = 256;
  c.config.learned.max_batch_size = 8;
  c.config.learned.max_prefill_chunk_size = 64;
  return c;
}

double fused_ms(const PredictorContext& c, const std::string& op, int64_t n) {
  const double stream = elementwise_bytes(c, op, n) / (kEfficiency * c.gpu.memory_bandwidth_gbps * 1e9) * 1e3;
  return std::sqrt(kFloorMs * kFloorMs + stream * stream);
}

struct MlpOptions {
  std::vector<int64_t> tps{1};
  double gemm_scale = 1.0;           // GEMM times, so that two directories' files differ
  double eager_factor = 1.0;         // element-wise times are fused_ms x this
  std::vector<std::string> without;  // operator columns left out
};

MlpOptions at_tp(std::vector<int64_t> tps, double gemm_scale = 1.0, double eager_factor = 1.0,
                 std::vector<std::string> without = {}) {
  MlpOptions o;
  o.tps = std::move(tps);
  o.gemm_scale = gemm_scale;
  o.eager_factor = eager_factor;
  o.without = std::move(without);
  return o;
}

// A directory in Vidur's layout, written piece by piece.
struct ProfilingDir {
  std::string root;

  explicit ProfilingDir(const fs::path& path, const std::string& meta_json = "") : root(path.string()) {
    fs::create_directories(path);
    if (!meta_json.empty()) std::ofstream(path / "meta.json") << meta_json;
  }

  std::string write(const std::string& relative, const std::string& text) const {
    const auto path = fs::path(root) / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }

  // compute/<gpu>/<model>/mlp.csv with 32 token counts per TP.
  std::string mlp(const std::string& gpu, const std::string& model_name, const MlpOptions& o = {}) const {
    const auto& m = catalog().model(model_name);
    std::vector<std::string> ops;
    for (const auto& op : mlp_profile_operators())
      if (std::find(o.without.begin(), o.without.end(), op) == o.without.end()) ops.push_back(op);
    std::ostringstream csv;
    csv.precision(17);
    for (const auto& op : ops) csv << "time_stats." << op << ".median,";
    csv << "n_head,n_kv_head,n_embd,n_expanded_embd,vocab_size,use_gated_mlp,num_tokens,num_tensor_parallel_workers\n";
    for (const auto tp : o.tps) {
      auto c = context(model_name, gpu, {}, tp);
      for (int64_t n = 8; n <= 256; n += 8) {
        for (const auto& op : ops) {
          const bool gemm = std::find(gemm_operators().begin(), gemm_operators().end(), op) != gemm_operators().end();
          csv << (gemm ? o.gemm_scale * (0.01 + 1e-4 * static_cast<double>(n) / static_cast<double>(tp))
                       : o.eager_factor * fused_ms(c, op, n))
              << ',';
        }
        csv << m.num_q_heads << ',' << m.num_kv_heads << ',' << m.hidden_size << ',' << m.mlp_hidden_size << ','
            << m.vocab_size << ',' << (m.gated_mlp ? "True" : "False") << ',' << n << ',' << tp << '\n';
      }
    }
    return write("compute/" + gpu + "/" + m.name + "/mlp.csv", csv.str());
  }

  // compute/<gpu>/<folder>/attention.csv for `shape_of`'s attention shape.
  std::string attention(const std::string& gpu, const std::string& folder, const std::string& shape_of,
                        int64_t tp = 1) const {
    const auto& m = catalog().model(shape_of);
    std::ostringstream csv;
    csv << "n_embd,n_q_head,n_kv_head,block_size,num_tensor_parallel_workers,batch_size,prefill_chunk_size,"
           "kv_cache_size,time_stats.attn_decode.median,time_stats.attn_prefill.median\n";
    for (int64_t b : {1, 2, 4, 8})
      for (int64_t kv = 64; kv <= 512; kv += 64)
        csv << m.hidden_size << ',' << m.num_q_heads << ',' << m.num_kv_heads << ",16," << tp << ',' << b << ",0," << kv
            << ',' << 0.01 + 1e-5 * static_cast<double>(b * kv) << ",\n";
    for (int64_t chunk : {16, 32, 64})
      for (int64_t kv = 0; kv <= 448; kv += 64)
        csv << m.hidden_size << ',' << m.num_q_heads << ',' << m.num_kv_heads << ",16," << tp << ",1," << chunk << ','
            << kv << ",," << 0.02 + 1e-6 * static_cast<double>(chunk * (kv + chunk)) << '\n';
    return write("compute/" + gpu + "/" + folder + "/attention.csv", csv.str());
  }

  std::string all_reduce(const std::string& node, int64_t tp) const {
    std::ostringstream csv;
    csv << "size,num_workers,devices_per_node,collective,time_stats.all_reduce.median\n";
    for (int64_t size = 1 << 12; size <= (1 << 24); size *= 2)
      csv << size << ',' << tp << ',' << tp << ",all_reduce," << 0.01 + static_cast<double>(size) * 1e-9 << '\n';
    return write("network/" + node + "/all_reduce.csv", csv.str());
  }
};

const char* kEagerMeta = R"({"torch": "2.11.0", "method": "CUDA events"})";

const TokenOperatorSource& source_of(const LearnedPredictorInputs& in, const std::string& op) {
  for (const auto& s : in.mlp_operators)
    if (s.op == op) return s;
  throw std::out_of_range(op);
}

TEST(ProfilingSources, MetaJsonSaysWhetherElementwiseKernelsAreEager) {
  test_support::TempDir tmp;
  const auto with = [&](const std::string& text) {
    const auto path = tmp.file("meta.json");
    std::ofstream(path) << text;
    return read_elementwise_kernels(path);
  };
  EXPECT_EQ(with(R"({"elementwise_kernels": "eager"})"), ElementwiseKernels::eager);
  EXPECT_EQ(with(R"({"elementwise_kernels": "fused", "torch": "2.11.0"})"), ElementwiseKernels::fused);
  EXPECT_EQ(with(kEagerMeta), ElementwiseKernels::eager);  // a PyTorch profile that does not say otherwise
  EXPECT_EQ(with(R"({"gpu": "NVIDIA H100"})"), ElementwiseKernels::fused);
  EXPECT_EQ(with("{}"), ElementwiseKernels::fused);
  const auto bad_value = test_support::input_error_of([&] { with("{\n  \"elementwise_kernels\": \"sometimes\"\n}"); });
  EXPECT_NE(bad_value.find(tmp.file("meta.json") + ":2: elementwise_kernels"), std::string::npos) << bad_value;
  EXPECT_NE(bad_value.find("expected \"eager\" or \"fused\""), std::string::npos) << bad_value;
  EXPECT_NE(test_support::input_error_of([&] { with("{\"torch\": "); }).find("not valid JSON"), std::string::npos);
  EXPECT_NE(test_support::input_error_of([&] { with("[1, 2]"); }).find("expected a JSON object"), std::string::npos);
}

TEST(ProfilingSources, TheEnvironmentsDefaultIsAListToo) {
  ::setenv("INFERSWEEP_PROFILING_DIR", "/a/profiling, /b/h100,,/c/h200", 1);
  const auto dirs = default_profiling_dirs();
  ::unsetenv("INFERSWEEP_PROFILING_DIR");
  EXPECT_EQ(dirs, (std::vector<std::string>{"/a/profiling", "/b/h100", "/c/h200"}));
  EXPECT_EQ(profiling_dirs_of(LearnedPredictorSettings{}), default_profiling_dirs());
  EXPECT_FALSE(default_profiling_dirs().empty());  // the build's own
  LearnedPredictorSettings given;
  given.profiling_dirs = {"/x"};
  EXPECT_EQ(profiling_dirs_of(given), given.profiling_dirs);
}

TEST(ProfilingSources, AMissingEmptyOrRepeatedDirectoryIsNamedByItsPlaceInTheList) {
  test_support::TempDir tmp;
  const ProfilingDir good(tmp.path / "good");
  good.mlp("a100", "Llama-2-7b-hf");
  fs::create_directories(tmp.path / "empty");
  fs::create_directories(tmp.path / "above" / "h100" / "compute");
  const auto error = [&](const std::vector<std::string>& dirs) {
    return test_support::input_error_of([&] { read_profiling_sources(dirs); });
  };
  const auto missing = error({good.root, tmp.file("missing")});
  EXPECT_NE(missing.find("entry 2 of 2, '" + tmp.file("missing") + "', is not a directory"), std::string::npos)
      << missing;
  const auto empty = error({tmp.file("empty"), good.root});
  EXPECT_NE(empty.find("entry 1 of 2, '" + tmp.file("empty") + "', holds neither compute/ nor network/"),
            std::string::npos)
      << empty;
  // One level too high: the error names the folders to list instead.
  EXPECT_NE(error({tmp.file("above")}).find("its folders h100 do"), std::string::npos) << error({tmp.file("above")});
  EXPECT_NE(error({good.root, tmp.file("good/")}).find("entry 2 of 2"), std::string::npos);
  EXPECT_NE(error({good.root, tmp.file("good/")}).find("is listed twice"), std::string::npos);
  // The predictor says it as an error of the setting.
  try {
    resolve_learned_inputs(context("Llama-2-7b-hf", "a100", {good.root, tmp.file("missing")}));
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.setting_name(), "profiling-dir");
  }
}

TEST(ProfilingSources, AFusedDirectoryAfterAnEagerOneStillServesTheElementwiseOperators) {
  test_support::TempDir tmp;
  const ProfilingDir eager(tmp.path / "eager", kEagerMeta), fused(tmp.path / "fused");
  const auto eager_mlp = eager.mlp("a100", "Llama-2-7b-hf", at_tp({1}, 0.9, 3.0));
  const auto fused_mlp = fused.mlp("a100", "Llama-2-7b-hf");
  const auto in = resolve_learned_inputs(context("Llama-2-7b-hf", "a100", {eager.root, fused.root}));
  for (const auto& op : gemm_operators()) EXPECT_EQ(source_of(in, op).file, eager_mlp) << op;  // first in order
  for (const auto& op : elementwise_operators()) {
    EXPECT_EQ(source_of(in, op).file, fused_mlp) << op;  // fused, whatever the order
    EXPECT_FALSE(source_of(in, op).estimated) << op;
  }
  EXPECT_FALSE(in.any_estimated());
  // The state learns each operator from its file.
  const auto state = build_learned_state(context("Llama-2-7b-hf", "a100", {eager.root, fused.root}), in);
  EXPECT_EQ(state.operators.at("mlp_up_proj").provenance.source, eager_mlp);
  EXPECT_EQ(state.operators.at("attn_rope").provenance.source, fused_mlp);
  EXPECT_FALSE(state.operators.at("attn_rope").provenance.estimated);
}

TEST(ProfilingSources, ADirectoryLackingRowsOrAnOperatorFallsThroughToTheNext) {
  test_support::TempDir tmp;
  const ProfilingDir nothing(tmp.path / "nothing"), other_tp(tmp.path / "tp2"), no_add(tmp.path / "no_add"),
      full(tmp.path / "full");
  nothing.mlp("a100", "Llama-2-70b-hf");  // another model only
  other_tp.mlp("a100", "Llama-2-7b-hf", at_tp({2}));
  const auto without_add = no_add.mlp("a100", "Llama-2-7b-hf", at_tp({1}, 1.0, 1.0, {"add"}));
  const auto complete = full.mlp("a100", "Llama-2-7b-hf");
  const auto in =
      resolve_learned_inputs(context("Llama-2-7b-hf", "a100", {nothing.root, other_tp.root, no_add.root, full.root}));
  EXPECT_EQ(source_of(in, "mlp_up_proj").file, without_add);
  EXPECT_EQ(source_of(in, "mlp_act").file, without_add);
  EXPECT_EQ(source_of(in, "add").file, complete);
  // No directory with rows: each one's reason, in order.
  const auto error = test_support::input_error_of([&] {
    resolve_learned_inputs(context("Llama-2-7b-hf", "a100", {nothing.root, other_tp.root}, 4));
  });
  EXPECT_NE(error.find(nothing.root + "/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv does not exist (profiled on "
                                      "a100 there: meta-llama/Llama-2-70b-hf)"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("num_tensor_parallel_workers == 4; the file has:"), std::string::npos) << error;
}

TEST(ProfilingSources, TheFirstDirectoryWithAttentionOfTheModelsShapeWins) {
  test_support::TempDir tmp;
  const ProfilingDir a(tmp.path / "a"), b(tmp.path / "b"), c(tmp.path / "c");
  for (const auto* d : {&a, &b, &c}) d->mlp("a100", "Meta-Llama-3-70B", at_tp({1, 2}));
  // Llama-2-70B's attention has Llama-3-70B's shape (hidden 8192, 64 query and 8 KV heads).
  a.attention("a100", "meta-llama/Llama-2-7b-hf", "Llama-2-7b-hf");  // another shape: passed over
  const auto borrowed = b.attention("a100", "meta-llama/Llama-2-70b-hf", "Llama-2-70b-hf");
  const auto own_later = c.attention("a100", "meta-llama/Meta-Llama-3-70B", "Meta-Llama-3-70B");
  EXPECT_EQ(resolve_learned_inputs(context("Meta-Llama-3-70B", "a100", {a.root, b.root, c.root})).attention_file,
            borrowed);
  EXPECT_EQ(resolve_learned_inputs(context("Meta-Llama-3-70B", "a100", {c.root, b.root})).attention_file, own_later);
  // Within a directory the model's own file comes before another model's of the same shape.
  const auto own = b.attention("a100", "meta-llama/Meta-Llama-3-70B", "Meta-Llama-3-70B");
  EXPECT_EQ(resolve_learned_inputs(context("Meta-Llama-3-70B", "a100", {a.root, b.root})).attention_file, own);
  // Rows of another TP are not this deployment's: the roofline answers.
  b.all_reduce("a100_pairwise_nvlink", 2);
  EXPECT_EQ(resolve_learned_inputs(context("Meta-Llama-3-70B", "a100", {b.root, c.root}, 2)).attention_file, "");
  // --attention-file still overrides every directory.
  auto explicit_file = context("Meta-Llama-3-70B", "a100", {a.root, b.root});
  explicit_file.config.learned.attention_file = own_later;
  EXPECT_EQ(resolve_learned_inputs(explicit_file).attention_file, own_later);
}

TEST(ProfilingSources, CollectivesComeFromTheFirstDirectoryWithRowsForTheTp) {
  test_support::TempDir tmp;
  const ProfilingDir compute(tmp.path / "compute"), tp4(tmp.path / "tp4"), tp2(tmp.path / "tp2");
  compute.mlp("a100", "Llama-2-7b-hf", at_tp({2}));
  tp4.all_reduce("a100_pairwise_nvlink", 4);
  const auto wanted = tp2.all_reduce("a100_pairwise_nvlink", 2);
  const auto c = context("Llama-2-7b-hf", "a100", {compute.root, tp4.root, tp2.root}, 2);
  EXPECT_EQ(resolve_learned_inputs(c).all_reduce_file, wanted);
  const auto error = test_support::input_error_of([&] {
    resolve_learned_inputs(context("Llama-2-7b-hf", "a100", {compute.root, tp4.root}, 2));
  });
  EXPECT_NE(error.find(compute.root + "/network/a100_pairwise_nvlink/all_reduce.csv does not exist"), std::string::npos)
      << error;
  EXPECT_NE(error.find("num_workers == 2"), std::string::npos) << error;
  EXPECT_NE(error.find("TP 2 needs all-reduce times measured on node a100_pairwise_nvlink"), std::string::npos)
      << error;
}

TEST(ProfilingSources, EagerOnlyElementwiseOperatorsGetTheFusedKernelEstimate) {
  test_support::TempDir tmp;
  // Fused rows of two models on a100 only; eager rows of the deployment's model on h100.
  const ProfilingDir fused(tmp.path / "fused"), eager(tmp.path / "eager", kEagerMeta);
  const auto fused_7b = fused.mlp("a100", "Llama-2-7b-hf", at_tp({1, 2}));
  const auto fused_70b = fused.mlp("a100", "Llama-2-70b-hf", at_tp({2, 4}));
  const auto eager_mlp = eager.mlp("h100", "Llama-2-7b-hf", at_tp({1}, 1.0, 4.0));
  const auto c = context("Llama-2-7b-hf", "h100", {fused.root, eager.root});
  const auto in = resolve_learned_inputs(c);
  for (const auto& op : elementwise_operators()) {
    EXPECT_TRUE(source_of(in, op).estimated) << op;
    EXPECT_EQ(source_of(in, op).file, eager_mlp) << op;
  }
  EXPECT_EQ(in.estimate_gpu.name, "a100");                                        // the only GPU with fused rows
  EXPECT_EQ(in.estimate_files, (std::vector<std::string>{fused_70b, fused_7b}));  // in path order

  // The fused rows follow the estimate's form exactly, so the fit recovers it and the estimate
  // on h100 is that form at h100's bandwidth, not the eager time.
  const auto state = build_learned_state(c, in);
  for (const auto& op : elementwise_operators()) {
    const auto& grid = state.operators.at(op);
    EXPECT_TRUE(grid.provenance.estimated) << op;
    EXPECT_EQ(grid.provenance.source, eager_mlp) << op;
    EXPECT_NE(grid.provenance.basis.find("2 a100 mlp.csv files at 2039 GB/s, evaluated at h100's 3350 GB/s"),
              std::string::npos)
        << grid.provenance.basis;
    EXPECT_LT(grid.provenance.selection.cv_mape, 1e-5) << op;  // leave one model out: still exact
    for (int64_t n : {8, 64, 256}) EXPECT_NEAR(*grid.find(n), fused_ms(c, op, n), 1e-7 * fused_ms(c, op, n)) << op;
  }
  // A GEMM is learned from the eager directory's rows as they are.
  EXPECT_FALSE(state.operators.at("mlp_up_proj").provenance.estimated);

  // Without a directory of fused kernels there is nothing to calibrate on: an error, not the
  // eager times.
  const auto error =
      test_support::input_error_of([&] { resolve_learned_inputs(context("Llama-2-7b-hf", "h100", {eager.root})); });
  EXPECT_NE(error.find("only eager-PyTorch times (" + eager_mlp + ")"), std::string::npos) << error;
}

TEST(ProfilingSources, EstimateFitRecoversFloorAndEfficiencyAndNamesWhatItLacks) {
  test_support::TempDir tmp;
  const ProfilingDir fused(tmp.path / "fused");
  const auto file = fused.mlp("a100", "Llama-2-7b-hf", at_tp({1, 2, 4}));
  const auto e = fit_elementwise_estimate("mlp_act", {file}, catalog().gpu("a100"));
  EXPECT_NEAR(e.floor_ms, kFloorMs, 1e-7 * kFloorMs);
  EXPECT_NEAR(e.efficiency, kEfficiency, 1e-7 * kEfficiency);
  EXPECT_EQ(e.rows, 96);
  EXPECT_TRUE(std::isnan(e.leave_one_model_out_mape));  // one file: no model to leave out
  EXPECT_LT(elementwise_estimate_mape(e, file, catalog().gpu("a100")), 1e-5);
  const auto without = fused.mlp("a100", "Llama-2-70b-hf", at_tp({1}, 1.0, 1.0, {"add"}));
  EXPECT_NE(test_support::input_error_of([&] {
              fit_elementwise_estimate("add", {without}, catalog().gpu("a100"));
            }).find("no fused a100 rows time add"),
            std::string::npos);
}

TEST(ProfilingSources, TheCacheKeyFollowsEveryFileAndTheOrder) {
  test_support::TempDir tmp;
  const ProfilingDir fused(tmp.path / "fused"), eager(tmp.path / "eager", kEagerMeta);
  fused.mlp("a100", "Llama-2-7b-hf");
  fused.mlp("a100", "Llama-2-70b-hf");
  const auto eager_mlp = eager.mlp("h100", "Llama-2-7b-hf", at_tp({1}, 1.0, 4.0));
  fused.mlp("h100", "Llama-2-70b-hf");  // fused h100 rows: the estimate's calibration
  auto c = context("Llama-2-7b-hf", "h100", {fused.root, eager.root});
  c.config.learned.cache_dir = tmp.file("cache");
  const auto key = [&](const PredictorContext& ctx) {
    LearnedStateOrigin origin;
    load_or_build_learned_state(ctx, &origin);
    return origin;
  };
  const auto first = key(c);
  EXPECT_FALSE(first.from_cache);
  EXPECT_TRUE(key(c).from_cache);
  // The other order: the same files serve the same operators, but the setting differs.
  auto reversed = c;
  reversed.config.learned.profiling_dirs = {eager.root, fused.root};
  EXPECT_NE(key(reversed).key, first.key);
  // One byte of the eager file, which only stands in for the estimate and serves the GEMMs.
  auto text = io::read_file_bytes(eager_mlp);
  text[text.find('\n') + 1] = text[text.find('\n') + 1] == '0' ? '1' : '0';
  std::ofstream(eager_mlp) << text;
  const auto edited = key(c);
  EXPECT_FALSE(edited.from_cache);
  EXPECT_NE(edited.key, first.key);
  // The meta.json, which decides eager or fused.
  std::ofstream(eager.root + "/meta.json") << R"({"torch": "2.11.0", "method": "other"})";
  EXPECT_NE(key(c).key, edited.key);
  // A file of another model on the same GPU: the roofline calibration reads it.
  const auto before = key(c).key;
  fused.mlp("h100", "Llama-2-70b-hf", at_tp({1}, 1.5));
  EXPECT_NE(key(c).key, before);
}

}  // namespace
}  // namespace infersweep::predict
