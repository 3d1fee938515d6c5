#pragma once
// A name -> factory map for plug-in points (schedulers, predictors, generators). Each plug-in
// family builds its registry with an explicit make_*_registry() function instead of static
// initialisers, so there is no global state and no link-order surprise.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "infersweep/common/error.hpp"

namespace infersweep {

template <class Base, class... Args>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Base>(Args...)>;

  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(const std::string& name, Factory factory) { factories_[name] = std::move(factory); }

  bool contains(const std::string& name) const { return factories_.count(name) > 0; }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& entry : factories_) out.push_back(entry.first);
    return out;
  }

  std::string names_joined() const {
    std::string out;
    for (const auto& entry : factories_) out += (out.empty() ? "" : ", ") + entry.first;
    return out;
  }

  // Throws InputError naming the option and the known choices for an unknown name.
  void check(const std::string& option_name, const std::string& name) const {
    if (!contains(name))
      throw InputError::option(option_name, "unknown " + kind_ + " '" + name +
                                                "' (expected one of: " + names_joined() + ")");
  }

  std::unique_ptr<Base> create(const std::string& option_name, const std::string& name,
                               Args... args) const {
    check(option_name, name);
    return factories_.at(name)(std::forward<Args>(args)...);
  }

 private:
  std::string kind_;
  std::map<std::string, Factory> factories_;
};

}  // namespace infersweep
