#pragma once
// The part every subcommand shares: parse its options, turning Boost's errors into InputError,
// and answer --help.
#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace infersweep::cli {

// Stores and notifies `args` into `vm`. Returns false when --help was asked for (the help is
// then printed on stdout and the command should return 0).
bool parse_options(const std::vector<std::string>& args, const boost::program_options::options_description& desc,
                   boost::program_options::variables_map& vm,
                   const boost::program_options::positional_options_description& positional = {});

}  // namespace infersweep::cli
