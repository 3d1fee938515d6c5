#include "infersweep/cli/simulate_command.hpp"

#include <boost/program_options.hpp>
#include <chrono>
#include <iostream>
#include <sstream>

#include "infersweep/cli/setting_options.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/common/system_memory.hpp"
#include "infersweep/config/output_location.hpp"
#include "infersweep/io/simulation_report.hpp"
#include "infersweep/predict/execution_time_predictor.hpp"
#include "infersweep/sim/run_footprint.hpp"
#include "infersweep/sim/simulation.hpp"
#include "infersweep/sim/simulation_summary.hpp"

namespace po = boost::program_options;

namespace infersweep::cli {

namespace {

using config::Identity;

config::SettingGroup<SimulateOutputs> declare_outputs() {
  config::SettingGroup<SimulateOutputs> g("General");
  g.add(&SimulateOutputs::data_dir, "data-dir", Identity::none(), "directory with models/, gpus/, nodes/ specs")
      .path()
      .default_note("$INFERSWEEP_DATA_DIR or the shipped data/");
  g.add(&SimulateOutputs::output_dir, "output-dir", Identity::none(),
        "where summary.json, request_metrics.csv and chrome_trace.json go")
      .output_dir();
  g.add(&SimulateOutputs::quiet, "quiet", Identity::none(), "print only the output paths").short_name('q');
  return g;
}

}  // namespace

const config::SettingGroup<SimulateOutputs>& simulate_output_settings() {
  static const auto group = declare_outputs();
  return group;
}

SimulateOptions parse_simulate_options(const std::vector<std::string>& args) {
  SimulateOptions s;
  const auto& settings = sim::simulation_settings();
  const auto& outputs = simulate_output_settings();
  OptionSections sections;
  sections.section("General").add_options()("help,h", "show this help")(
      "config", po::value<std::string>(),
      "read options from FILE (`key = value` lines, keys as the long option names); the command line wins");
  describe_settings(sections, outputs, s.outputs);
  describe_settings(sections, settings, s.config);
  po::options_description all("infersweep simulate: simulate one LLM serving deployment");
  sections.add_to(all);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).run(), vm);
  } catch (const po::error& e) {
    throw InputError(std::string("command line: ") + e.what());
  }
  if (vm.count("help")) {
    s.help = true;
    std::ostringstream text;
    text << all;
    s.help_text = text.str();
    return s;
  }
  if (vm.count("config")) {
    const auto check_simulation = value_checker(settings, s.config);
    const auto check_outputs = value_checker(outputs, s.outputs);
    store_option_file(vm["config"].as<std::string>(), all, vm, [&](const std::string& key, const std::string& value) {
      check_simulation(key, value);
      check_outputs(key, value);
    });
  }
  apply_settings(vm, outputs, s.outputs);
  const auto given = apply_settings(vm, settings, s.config);
  s.node_given = given.count("node") > 0;
  if (!s.node_given) s.config.node = sim::default_node(s.config.gpu);
  sim::apply_scheduler_traits(s.config.scheduler, given);
  return s;
}

int run_simulate(const std::vector<std::string>& args) {
  const auto options = parse_simulate_options(args);
  if (options.help) {
    std::cout << options.help_text;
    return 0;
  }
  config::check_output_locations(simulate_output_settings(), options.outputs);
  const auto catalog = spec::SpecCatalog::load(spec::resolve_data_dir(options.outputs.data_dir));
  auto config = options.config;
  if (!options.node_given) config.node = sim::default_node(config.gpu, catalog);
  if (const auto available = available_memory_bytes())
    sim::check_footprint_fits(sim::estimate_footprint(config), config, *available);
  const auto setup = sim::prepare_simulation(config, catalog);

  const auto predictor_start = std::chrono::steady_clock::now();
  const auto predictor = predict::ExecutionTimePredictor::create(sim::predictor_context(setup));
  // A disaggregated deployment's decode pool has a predictor of its own (its GPU, TP and PP).
  std::unique_ptr<predict::ExecutionTimePredictor> decode_predictor;
  if (setup.disaggregated())
    decode_predictor = std::make_unique<predict::ExecutionTimePredictor>(
        predict::ExecutionTimePredictor::create(sim::predictor_context(*setup.decode_pool)));
  if (!options.outputs.quiet && config.predictor.name != "roofline")
    std::cerr << "predictor " << config.predictor.name << " ready in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - predictor_start).count() << " s\n";

  const auto start = std::chrono::steady_clock::now();
  sim::Simulation simulation(setup, predictor, decode_predictor.get());
  simulation.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto summary = sim::summarize(simulation);
  if (summary.predictor_out_of_grid_lookups > 0)
    std::cerr << "warning: " << summary.predictor_out_of_grid_lookups
              << " operator lookups fell outside the prediction grid and were extrapolated with the polynomial "
                 "model (widen --prediction-max-* to cover them)\n";
  for (const auto& note : workload::describe_notes(setup.workload_notes)) std::cerr << "warning: " << note << "\n";
  const auto written = io::write_simulation_outputs(simulation, summary, options.outputs.output_dir);
  if (!options.outputs.quiet) {
    io::print_summary_table(simulation, summary, std::cout);
    std::cerr << "simulated " << simulation.num_events() << " events in " << wall << " s wall time\n";
  }
  std::cout << written;
  return 0;
}

}  // namespace infersweep::cli
