// Training + grid time of the learned predictor for one (model, SKU, TP), on one core, with the
// cache off; then the time to load the same grids from a cache. Target: < 10 s to build.
//   bench_predictor [VIDUR_DATA_DIR]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/spec/spec_catalog.hpp"

using namespace infersweep;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run(const spec::SpecCatalog& catalog, const std::string& vidur, const std::string& model, const std::string& gpu,
         int64_t tp, int64_t pp, const std::string& attention_file) {
  predict::PredictorContext c;
  c.model = catalog.model(model);
  c.gpu = catalog.gpu(gpu);
  c.node = catalog.node(gpu + "_pairwise_nvlink");
  c.tensor_parallel = tp;
  c.pipeline_parallel = pp;
  c.config.name = "learned";
  c.config.learned.profiling_dirs = {vidur + "/profiling"};
  c.config.learned.attention_file = attention_file;
  const auto cache = std::filesystem::temp_directory_path() / "infersweep-bench-predictor-cache";
  std::filesystem::remove_all(cache);
  c.config.learned.cache_dir = cache.string();

  auto start = std::chrono::steady_clock::now();
  predict::LearnedStateOrigin built;
  const auto state = predict::load_or_build_learned_state(c, &built);
  const double build_s = seconds_since(start);
  start = std::chrono::steady_clock::now();
  predict::LearnedStateOrigin loaded;
  predict::load_or_build_learned_state(c, &loaded);
  const double load_s = seconds_since(start);
  int64_t points = 0;
  for (const auto& [name, grid] : state->operators) points += grid.size();
  std::printf(
      "%-26s %-5s TP%lld PP%lld %-9s  %3zu operators, %9lld grid points: train+grid %6.2f s (target < 10 s), "
      "cached load %.3f s%s\n",
      model.c_str(), gpu.c_str(), static_cast<long long>(tp), static_cast<long long>(pp),
      attention_file.empty() ? "" : "+attention", state->operators.size(), static_cast<long long>(points), build_s,
      load_s, loaded.from_cache ? "" : " (cache miss!)");
  std::filesystem::remove_all(cache);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string vidur = argc > 1 ? argv[1] : INFERSWEEP_BENCH_VIDUR_DATA;
  const auto catalog = spec::SpecCatalog::load(INFERSWEEP_BENCH_DATA_DIR);
  std::printf("learned predictor, one core, cache off for the build:\n");
  run(catalog, vidur, "Llama-2-7b-hf", "a100", 1, 1, "");
  run(catalog, vidur, "Llama-2-70b-hf", "h100", 4, 2, "");
  run(catalog, vidur, "Llama-2-70b-hf", "a100", 2, 1, vidur + "/legacy-e2d00e9/profiling/a100/attention.csv");
  return 0;
}
