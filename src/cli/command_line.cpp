#include "infersweep/cli/command_line.hpp"

#include <iostream>

#include "infersweep/common/error.hpp"

namespace po = boost::program_options;

namespace infersweep::cli {

bool parse_options(const std::vector<std::string>& args, const po::options_description& desc, po::variables_map& vm,
                   const po::positional_options_description& positional) {
  try {
    po::store(po::command_line_parser(args).options(desc).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << desc;
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(std::string("command line: ") + e.what());
  }
  return true;
}

}  // namespace infersweep::cli
