#pragma once
// One declaration per setting. A setting is a field of a plain config struct, declared once
// with its name, help, unit, range or choices, and what it identifies (the config id, the
// execution-time predictor, or neither). The command line, option files, grid keys, the
// identity texts and the range checks are all generated from these declarations, so a new
// setting is written in one place.
//
// Declarations are grouped per struct (SettingGroup<S>); a group nests the groups of its member
// structs, so SimulationConfig's group is the flat list of every simulation setting.
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace infersweep::config {

// What a setting's value is part of. Every declaration must say it (there is no default), so
// a new setting cannot slip into or out of the config id unnoticed.
class Identity {
 public:
  // Changes no result (where outputs or caches go).
  static Identity none() { return {false, false, false}; }
  // Part of the config id.
  static Identity config() { return {true, false, true}; }
  // Decides the execution-time predictor but not the config id (machine-local data paths).
  static Identity predictor() { return {false, true, true}; }
  static Identity config_and_predictor() { return {true, true, true}; }
  // Changes results but is what a capacity search varies per probe (the arrival rate), so it
  // is in neither id.
  static Identity probe() { return {false, false, true}; }

  bool in_config_id() const { return config_; }
  bool in_predictor_id() const { return predictor_; }
  // Whether the value can change what a simulation computes (it is then in the settings text).
  bool affects_results() const { return results_; }

 private:
  Identity(bool config, bool predictor, bool results) : config_(config), predictor_(predictor), results_(results) {}
  bool config_;
  bool predictor_;
  bool results_;
};

// How a value enters the config id, which must not depend on the machine.
enum class IdForm {
  value,         // as it is
  file_name,     // a path, by its file name only
  file_content,  // a path, by its file name and a hash of its content
};

// What a path setting names, so that every place a command writes is checked before it works.
enum class PathUse { input, output_file, output_dir };

enum class Kind { boolean, integer, unsigned_integer, number, text, optional_integer, text_list };

// The declared facts of one setting, apart from where its value lives.
struct SettingSpec {
  std::string name;      // long option name: --name on the command line, `name = value` in option files
  char short_name = 0;   // one-letter command-line alias, if any
  std::string key;       // identity-text key (default: name with '-' as '_')
  std::string grid_key;  // key in a grid file's section (default: name with '-' as '_')
  std::string help;
  std::string unit;   // "s", "tokens", "%", ... or empty
  std::string topic;  // help section
  Identity identity = Identity::none();
  IdForm id_form = IdForm::value;
  Kind kind = Kind::text;
  bool on_command_line = true;  // false: set by the program itself (e.g. a probe's early stop)
  bool is_path = false;         // a file or directory (a grid resolves it against its own folder)
  PathUse path_use = PathUse::input;
  bool bool_as_digit = false;  // identity text 0/1 instead of true/false (kept for stable ids)
  // Numbers: the accepted range (always finite). Integers use the same bounds.
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  bool max_exclusive = false;
  // Text with a closed set of values; empty: any non-empty text (or any text if may_be_empty).
  std::function<std::vector<std::string>()> choices;
  bool may_be_empty = true;
  // The value names a plug-in: the names are listed in help, and the plug-in's registry checks
  // the value (so that a registry with extra plug-ins, e.g. in tests, is honoured).
  std::function<std::vector<std::string>()> plugins;
  // Which plug-ins read this setting, for help (e.g. "sarathi"); empty: all.
  std::function<std::string()> applies_to;
  std::string default_note;  // help's default when it is derived, e.g. "<gpu>_pairwise_nvlink"

  bool has_min() const { return min > -std::numeric_limits<double>::infinity(); }
  bool has_max() const { return max < std::numeric_limits<double>::infinity(); }
  // "an integer >= 1", "a number in (0, 1]", "one of: a, b" ...: what the range check expects.
  std::string expectation() const;
  // A value's text as help shows it (booleans as true/false, whatever their identity text).
  std::string display(const std::string& text) const;
  // The default as help shows it: the note of a derived default, else the value's display.
  std::string display_default(const std::string& default_text) const;
};

// A declared setting of a struct R: its spec and typed access erased to text.
template <class R>
struct Setting {
  std::shared_ptr<SettingSpec> spec_ptr;                  // shared with the functions below, which read it
  std::function<std::string(const R&)> text;              // the value as identity text
  std::function<void(R&, const std::string&)> assign;     // parse, check and store, or throw
  std::function<void(const R&)> check;                    // range/choice check of the stored value
  std::function<bool(const R&, const R&)> equal;          // same value in both
  std::function<std::string(const R&)> other_value_text;  // a different valid value (for tests)

  const SettingSpec& spec() const { return *spec_ptr; }
  const std::string& name() const { return spec_ptr->name; }
};

// Parses and checks the text of a value of kind T against a spec; the error names the setting.
template <class T>
struct Codec;

// The declared settings of struct S, in declaration order, nested groups flattened.
template <class S>
class SettingGroup {
 public:
  explicit SettingGroup(std::string topic) : topic_(std::move(topic)) {}

  // Declares member `field`. Chain the returned builder to refine the spec.
  template <class T>
  class Builder;
  template <class T>
  Builder<T> add(T S::*field, std::string name, Identity identity, std::string help);

  // Declares member `field` as a struct whose own group is `group`.
  template <class C>
  void nest(C S::*field, const SettingGroup<C>& group);

  // Declares a member that is not a setting (e.g. data read once and shared), with the reason.
  template <class T>
  void not_a_setting(T S::*, const char* /*why*/) {
    ++fields_declared_;
  }

  const std::vector<Setting<S>>& settings() const { return settings_; }
  // Members of S accounted for by add, nest or not_a_setting (a test compares it with S's fields).
  size_t fields_declared() const { return fields_declared_; }
  const Setting<S>* find(const std::string& name) const;  // by name or key
  const Setting<S>& at(const std::string& name) const;    // throws std::out_of_range

 private:
  std::string topic_;
  std::vector<Setting<S>> settings_;
  size_t fields_declared_ = 0;
};

}  // namespace infersweep::config

#include "infersweep/config/setting_impl.hpp"
