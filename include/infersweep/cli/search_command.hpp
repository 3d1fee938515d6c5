#pragma once
// `infersweep search --grid G.yaml`: the capacity of every configuration of a grid, searched
// in parallel with OpenMP, written as capacity.csv, probes.csv and capacity.json.
#include <string>
#include <vector>

namespace infersweep::cli {

int run_search(const std::vector<std::string>& args);

}  // namespace infersweep::cli
