#include "infersweep/cli/setting_options.hpp"

#include "infersweep/spec/key_value_file.hpp"

namespace po = boost::program_options;

namespace infersweep::cli {

namespace {
constexpr unsigned kHelpWidth = 110;
}  // namespace

std::string describe_error(const InputError& error) {
  if (error.subject() == InputError::Subject::setting)
    return "option --" + error.setting_name() + ": " + error.message();
  return error.what();
}

const char* value_name(const config::SettingSpec& spec) {
  if (spec.is_path) return "PATH";
  switch (spec.kind) {
    case config::Kind::text:
    case config::Kind::text_list:
      return "NAME";
    case config::Kind::integer:
    case config::Kind::unsigned_integer:
    case config::Kind::optional_integer:
      return "N";
    default:
      return "X";
  }
}

std::string setting_help(const config::SettingSpec& spec, const std::string& default_text) {
  std::string text = spec.help;
  if (!spec.unit.empty()) text += " [" + spec.unit + "]";
  if (spec.applies_to) {
    const auto readers = spec.applies_to();
    if (!readers.empty()) text += " (read by " + readers + ")";
  }
  if (spec.choices || spec.plugins) text += "; " + spec.expectation();
  text += " (default: " + (default_text.empty() ? std::string("none") : default_text) + ")";
  return text;
}

po::options_description& OptionSections::section(const std::string& topic) {
  auto it = sections_.find(topic);
  if (it == sections_.end()) {
    order_.push_back(topic);
    it = sections_.emplace(topic, po::options_description(topic, kHelpWidth, kHelpWidth / 2)).first;
  }
  return it->second;
}

void OptionSections::add_to(po::options_description& all) {
  for (const auto& topic : order_) all.add(sections_.at(topic));
}

void store_option_file(const std::string& path, const po::options_description& desc, po::variables_map& vm,
                       const std::function<void(const std::string&, const std::string&)>& check_value) {
  const auto file = spec::KeyValueFile::read(path);
  for (const auto& line : file.lines()) {
    if (line.key == "config")
      throw InputError::in_file(path, line.line, line.key, "an option file cannot include another");
    if (!desc.find_nothrow(line.key, false)) throw InputError::in_file(path, line.line, line.key, "unknown option");
    if (check_value) {
      try {
        check_value(line.key, line.value);
      } catch (const InputError& e) {
        throw InputError::in_file(path, line.line, line.key, e.message());
      }
    }
    try {
      const std::vector<std::string> tokens{"--" + line.key + "=" + line.value};
      po::store(po::command_line_parser(tokens).options(desc).run(), vm);
    } catch (const po::error& e) {
      throw InputError::in_file(path, line.line, line.key, e.what());
    }
  }
}

}  // namespace infersweep::cli
