#pragma once
// A name -> plug-in map for the plug-in points (schedulers, predictors, generators). An entry
// is a descriptor: the factory, a one-line summary, and the plug-in family's traits (what the
// rest of the program needs to know about it without constructing one). Each family builds
// its registry with an explicit make_*_registry() function, and keeps the built-in one in a
// function-local static (built once, read-only after), instead of static initialisers.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "infersweep/common/error.hpp"

namespace infersweep {

struct NoTraits {};

template <class Base, class Traits, class... Args>
class PluginRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Base>(Args...)>;
  struct Entry {
    std::string name;
    Factory factory;
    Traits traits;
    std::string summary;
  };

  explicit PluginRegistry(std::string kind) : kind_(std::move(kind)) {}

  void add(const std::string& name, Factory factory, Traits traits = {}, std::string summary = "") {
    entries_[name] = Entry{name, std::move(factory), std::move(traits), std::move(summary)};
  }

  bool contains(const std::string& name) const { return entries_.count(name) > 0; }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& entry : entries_) out.push_back(entry.first);
    return out;
  }

  std::string names_joined() const {
    std::string out;
    for (const auto& entry : entries_) out += (out.empty() ? "" : ", ") + entry.first;
    return out;
  }

  // Names of the entries whose traits list `setting` among the settings they read, comma-separated
  // (for traits with a `settings` list).
  std::string names_reading(const std::string& setting) const {
    std::string out;
    for (const auto& [name, entry] : entries_)
      if (std::find(entry.traits.settings.begin(), entry.traits.settings.end(), setting) != entry.traits.settings.end())
        out += (out.empty() ? "" : ", ") + name;
    return out;
  }

  // Entries in name order.
  std::vector<const Entry*> entries() const {
    std::vector<const Entry*> out;
    for (const auto& entry : entries_) out.push_back(&entry.second);
    return out;
  }

  // Throws InputError about `setting_name` for an unknown name, listing the known ones.
  void check(const std::string& setting_name, const std::string& name) const {
    if (!contains(name))
      throw InputError::setting(setting_name,
                                "unknown " + kind_ + " '" + name + "' (expected one of: " + names_joined() + ")");
  }

  const Entry& entry(const std::string& setting_name, const std::string& name) const {
    check(setting_name, name);
    return entries_.at(name);
  }

  const Traits& traits(const std::string& setting_name, const std::string& name) const {
    return entry(setting_name, name).traits;
  }

  std::unique_ptr<Base> create(const std::string& setting_name, const std::string& name, Args... args) const {
    return entry(setting_name, name).factory(std::forward<Args>(args)...);
  }

 private:
  std::string kind_;
  std::map<std::string, Entry> entries_;
};

template <class Base, class... Args>
using Registry = PluginRegistry<Base, NoTraits, Args...>;

}  // namespace infersweep
