#pragma once
// Writes a finished simulation's outputs: summary.json, request_metrics.csv and, optionally,
// chrome_trace.json (open in chrome://tracing or Perfetto).
#include <ostream>
#include <string>

#include "infersweep/sim/simulation.hpp"
#include "infersweep/sim/simulation_summary.hpp"

namespace infersweep::io {

void write_summary_json(const sim::Simulation& simulation, const sim::SimulationSummary& summary, std::ostream& out);
void write_request_metrics_csv(const sim::Simulation& simulation, std::ostream& out);
void write_chrome_trace(const sim::Simulation& simulation, std::ostream& out);

// Writes the files into `directory` (created if needed); returns the paths written, one per line.
std::string write_simulation_outputs(const sim::Simulation& simulation, const sim::SimulationSummary& summary,
                                     const std::string& directory);

// A short human-readable table of the headline numbers.
void print_summary_table(const sim::Simulation& simulation, const sim::SimulationSummary& summary, std::ostream& out);

}  // namespace infersweep::io
