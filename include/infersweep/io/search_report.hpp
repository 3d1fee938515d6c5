#pragma once
// Writes a capacity search's outputs: capacity.csv (one row per config, skipped and failed
// included), probes.csv (every probe of every search) and capacity.json (both, with the grid
// and settings), and prints the best configs per model and trace as a table.
#include <ostream>
#include <string>
#include <vector>

#include "infersweep/search/grid_spec.hpp"
#include "infersweep/search/search_runner.hpp"

namespace infersweep::io {

void write_capacity_csv(const std::vector<search::SearchUnit>& units, const std::vector<search::ConfigResult>& results,
                        std::ostream& out);
void write_probes_csv(const std::vector<search::SearchUnit>& units, const std::vector<search::ConfigResult>& results,
                      std::ostream& out);
void write_capacity_json(const search::GridSpec& grid, const std::vector<search::SearchUnit>& units,
                         const std::vector<search::ConfigResult>& results, std::ostream& out);

// Writes the three files into `directory` (created if needed), each through a temporary file
// and a rename; returns the paths written, one per line.
std::string write_search_outputs(const search::GridSpec& grid, const std::vector<search::SearchUnit>& units,
                                 const std::vector<search::ConfigResult>& results, const std::string& directory);

// Per (model, trace): the `top` configs by QPS per dollar, then counts of skipped and failed.
void print_search_table(const std::vector<search::SearchUnit>& units, const std::vector<search::ConfigResult>& results,
                        std::ostream& out, int top = 5);

}  // namespace infersweep::io
