#pragma once
// Texts generated from a group's declarations: the settings text of a configuration, its
// portable config-id text, its predictor-identity text, and the check of every range.
#include <functional>
#include <string>

#include "infersweep/config/setting.hpp"

namespace infersweep::config {

// Identifies a file for the config id by its content (e.g. "trace.csv#<hash>").
using FileIdentity = std::function<std::string(const std::string& path)>;

// `key = value` lines of the settings whose identity `keep` accepts, in declaration order.
template <class R, class Keep>
std::string identity_lines(const SettingGroup<R>& group, const R& value, Keep keep) {
  std::string out;
  for (const auto& s : group.settings())
    if (keep(s.spec().identity)) out += s.spec().key + " = " + s.text(value) + "\n";
  return out;
}

// `key = value` lines of every setting that can change a result, in declaration order.
template <class R>
std::string settings_text(const SettingGroup<R>& group, const R& value) {
  return identity_lines(group, value, [](const Identity& id) { return id.affects_results(); });
}

// The same lines with each value as the config id sees it: config-identity settings in their
// portable form, the others (e.g. the directory of the profiling data) blank.
template <class R>
std::string config_id_text(const SettingGroup<R>& group, const R& value, const FileIdentity& file_identity);

// `key = value` lines of the settings that decide the execution-time predictor.
template <class R>
std::string predictor_id_text(const SettingGroup<R>& group, const R& value) {
  return identity_lines(group, value, [](const Identity& id) { return id.in_predictor_id(); });
}

// Checks every setting against its declared range or choices; throws InputError naming the
// first setting out of range.
template <class R>
void check_settings(const SettingGroup<R>& group, const R& value) {
  for (const auto& s : group.settings()) s.check(value);
}

namespace detail {
std::string portable_value(const SettingSpec& spec, const std::string& text, const FileIdentity& file_identity);
std::string neutral_value(const SettingSpec& spec);
}  // namespace detail

template <class R>
std::string config_id_text(const SettingGroup<R>& group, const R& value, const FileIdentity& file_identity) {
  std::string out;
  for (const auto& s : group.settings()) {
    const auto& spec = s.spec();
    if (!spec.identity.affects_results()) continue;
    out += spec.key + " = " +
           (spec.identity.in_config_id() ? detail::portable_value(spec, s.text(value), file_identity)
                                         : detail::neutral_value(spec)) +
           "\n";
  }
  return out;
}

}  // namespace infersweep::config
