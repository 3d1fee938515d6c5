#pragma once
// The command line and option files of a subcommand, generated from setting declarations:
// one long option per setting (grouped by topic in help, with unit, choices and default), the
// value parsed and range-checked by the declaration, and errors said as "option --name".
#include <boost/program_options.hpp>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "infersweep/common/error.hpp"
#include "infersweep/config/setting.hpp"

namespace infersweep::cli {

// One line for the user: "option --tp: ..." for a setting, "file:line: field: ..." for a file.
std::string describe_error(const InputError& error);

// What a setting's value is called in help: PATH, NAME, N (a whole number) or X.
const char* value_name(const config::SettingSpec& spec);

// The help text of one setting: help, unit, which plug-ins read it, choices, default.
std::string setting_help(const config::SettingSpec& spec, const std::string& default_text);

// Topic sections of a help screen, in order of first appearance.
class OptionSections {
 public:
  boost::program_options::options_description& section(const std::string& topic);
  // Every section, added to `all` in order.
  void add_to(boost::program_options::options_description& all);

 private:
  std::vector<std::string> order_;
  std::map<std::string, boost::program_options::options_description> sections_;
};

// Adds the command-line settings of `group` accepted by `keep`.
template <class S>
void describe_settings(OptionSections& sections, const config::SettingGroup<S>& group, const S& defaults,
                       const std::function<bool(const config::SettingSpec&)>& keep = nullptr) {
  namespace po = boost::program_options;
  for (const auto& s : group.settings()) {
    const auto& spec = s.spec();
    if (!spec.on_command_line || (keep && !keep(spec))) continue;
    const std::string default_text = spec.display_default(s.text(defaults));
    const auto help = setting_help(spec, default_text);
    const auto option = spec.short_name ? spec.name + "," + spec.short_name : spec.name;
    if (spec.kind == config::Kind::text_list) {
      sections.section(spec.topic)
          .add_options()(option.c_str(), po::value<std::vector<std::string>>()->composing()->value_name("NAME"),
                         help.c_str());
      continue;
    }
    auto* value = po::value<std::string>()->value_name(value_name(spec));
    if (spec.kind == config::Kind::boolean) value->implicit_value("true")->value_name("true|false");
    sections.section(spec.topic).add_options()(option.c_str(), value, help.c_str());
  }
}

// Stores into `target` the settings given in `vm`, in declaration order, each parsed and
// checked by its declaration. Returns the names of those given.
template <class S>
std::set<std::string> apply_settings(const boost::program_options::variables_map& vm,
                                     const config::SettingGroup<S>& group, S& target) {
  std::set<std::string> given;
  for (const auto& s : group.settings()) {
    const auto it = vm.find(s.name());
    if (it == vm.end() || it->second.defaulted()) continue;
    if (s.spec().kind == config::Kind::text_list) {
      std::string joined;
      for (const auto& item : it->second.template as<std::vector<std::string>>())
        joined += (joined.empty() ? "" : ",") + item;
      s.assign(target, joined);
    } else {
      s.assign(target, it->second.template as<std::string>());
    }
    given.insert(s.name());
  }
  return given;
}

// The settings of `group` given in `vm`, as {name, value} in declaration order (to apply later,
// e.g. over a grid's values). Each value is checked now.
template <class S>
std::vector<std::pair<std::string, std::string>> given_settings(const boost::program_options::variables_map& vm,
                                                                const config::SettingGroup<S>& group) {
  std::vector<std::pair<std::string, std::string>> out;
  S scratch{};
  for (const auto& s : group.settings()) {
    const auto it = vm.find(s.name());
    if (it == vm.end() || it->second.defaulted()) continue;
    const auto value = it->second.template as<std::string>();
    s.assign(scratch, value);
    out.emplace_back(s.name(), value);
  }
  return out;
}

// Stores the options of a `key = value` file (keys: long option names), reporting a bad key or
// value with its line; `check_value(key, value)` may throw InputError for a bad value. The
// command line, stored first, wins.
void store_option_file(const std::string& path, const boost::program_options::options_description& desc,
                       boost::program_options::variables_map& vm,
                       const std::function<void(const std::string&, const std::string&)>& check_value = nullptr);

// check_value for store_option_file: parses the value into a scratch copy of `defaults`.
template <class S>
std::function<void(const std::string&, const std::string&)> value_checker(const config::SettingGroup<S>& group,
                                                                          const S& defaults) {
  return [&group, defaults](const std::string& key, const std::string& value) {
    if (const auto* s = group.find(key)) {
      auto scratch = defaults;
      s->assign(scratch, value);
    }
  };
}

}  // namespace infersweep::cli
