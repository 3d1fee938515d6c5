#pragma once
// Where a sweep's rows came from: the build, the libraries, the machine, the job, the grid
// and the command, as the attributes of each run of the file.
#include <cstdint>
#include <string>
#include <vector>

#include "infersweep/table/field.hpp"

namespace infersweep::sweep {

struct RunContext {
  int64_t run = 1;
  std::string command_line, grid_file, grid_text, out;
  int64_t seed = 0;
  int ranks = 1;
  std::vector<int> threads_per_rank;
  bool rank0_works = true, retry_failed = false;
};

std::vector<table::Field> run_provenance(const RunContext& context);
std::string utc_now_iso8601();
double unix_now();
std::string mpi_library_version();  // first line of MPI_Get_library_version
std::string hdf5_library_version();

}  // namespace infersweep::sweep
