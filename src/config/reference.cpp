#include "infersweep/config/reference.hpp"

namespace infersweep::config {

namespace {

// Table cells hold no pipe or line break.
std::string cell(std::string text) {
  std::string out;
  for (const char c : text) out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

}  // namespace

std::string describe_identity(const Identity& identity) {
  if (identity.in_config_id() && identity.in_predictor_id()) return "config id, predictor";
  if (identity.in_config_id()) return "config id";
  if (identity.in_predictor_id()) return "predictor";
  if (identity.affects_results()) return "per probe";
  return "none";
}

std::string markdown_header(bool grid_key) {
  return std::string("| option | ") + (grid_key ? "grid key" : "key") +
         " | default | accepted | identity | what it is |\n"
         "|---|---|---|---|---|---|\n";
}

std::string markdown_row(const SettingSpec& spec, const std::string& default_text, bool grid_key) {
  std::string option = spec.on_command_line ? "`--" + spec.name + "`" : "(set by the search)";
  std::string accepted = spec.expectation();
  if (!spec.unit.empty()) accepted += ", " + spec.unit;
  std::string help = spec.help;
  if (spec.applies_to) help += " (read by " + spec.applies_to() + ")";
  const std::string key = "`" + (grid_key ? spec.grid_key : spec.key) + "`";
  return "| " + cell(option) + " | " + key + " | " + cell(default_text.empty() ? "—" : "`" + default_text + "`") +
         " | " + cell(accepted) + " | " + describe_identity(spec.identity) + " | " + cell(help) + " |\n";
}

}  // namespace infersweep::config
