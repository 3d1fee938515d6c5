// infersweep: which LLM deployment serves a model and its traffic at the most QPS per dollar.
#include <iostream>
#include <string>
#include <vector>

#include "infersweep/cli/pareto_command.hpp"
#include "infersweep/cli/predictor_command.hpp"
#include "infersweep/cli/search_command.hpp"
#include "infersweep/cli/setting_options.hpp"
#include "infersweep/cli/simulate_command.hpp"
#include "infersweep/cli/sweep_command.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/sweep/provenance.hpp"

namespace {

constexpr const char* kUsage =
    "usage: infersweep <command> [options]\n"
    "\n"
    "commands:\n"
    "  simulate   simulate one serving deployment and write its metrics (see simulate --help)\n"
    "  predictor  report how the learned predictor models a deployment (predictor report --help)\n"
    "  search     find the capacity and QPS per dollar of every config of a grid (search --help)\n"
    "  sweep      the same over MPI ranks into one resumable HDF5 file (sweep --help)\n"
    "  status     progress and state of a sweep's HDF5 file, also while it runs\n"
    "  pareto     best config under TTFT/TBT SLOs and the Pareto fronts of a sweep file or search output\n"
    "  version    print the engine version and the MPI and HDF5 libraries it is built with\n"
    "\n"
    "exit codes: 0 success, 1 bad input, 2 simulation failure, 3 sweep stopped early (rerun to resume),\n"
    "            4 internal error (a bug: please report it with the command line)\n";

int print_version() {
  std::cout << "infersweep " << INFERSWEEP_VERSION << "\n"
            << "MPI: " << infersweep::sweep::mpi_library_version() << "\n"
            << "HDF5: " << infersweep::sweep::hdf5_library_version() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 1;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "simulate") return infersweep::cli::run_simulate(args);
    if (command == "predictor") return infersweep::cli::run_predictor(args);
    if (command == "search") return infersweep::cli::run_search(args);
    if (command == "sweep") {
      std::string line = "infersweep";
      for (int i = 1; i < argc; ++i) line += std::string(" ") + argv[i];
      return infersweep::cli::run_sweep_command(args, line);
    }
    if (command == "status") return infersweep::cli::run_status_command(args);
    if (command == "pareto") return infersweep::cli::run_pareto_command(args);
    if (command == "version" || command == "--version") return print_version();
    if (command == "help" || command == "--help" || command == "-h") {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << "infersweep: unknown command '" << infersweep::printable(command) << "'\n" << kUsage;
    return 1;
  } catch (const infersweep::InputError& e) {
    std::cerr << "infersweep " << infersweep::printable(command) << ": error: " << infersweep::cli::describe_error(e)
              << "\n";
    return 1;
  } catch (const infersweep::SimulationError& e) {
    std::cerr << "infersweep " << infersweep::printable(command)
              << ": simulation failed: " << infersweep::printable(e.what()) << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "infersweep " << infersweep::printable(command)
              << ": internal error: " << infersweep::printable(e.what()) << "\n";
    return 4;
  }
}
