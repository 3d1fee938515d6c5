#pragma once
// `infersweep sweep --grid G.yaml --out results.h5`: the MPI master/worker sweep over a grid
// into one HDF5 file, resumable; and `infersweep status results.h5`, which reports on such a
// file, also while a sweep is writing it.
#include <string>
#include <vector>

namespace infersweep::cli {

int run_sweep_command(const std::vector<std::string>& args, const std::string& command_line);
int run_status_command(const std::vector<std::string>& args);

}  // namespace infersweep::cli
