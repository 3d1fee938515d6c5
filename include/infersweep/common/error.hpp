#pragma once
// Typed errors at the boundaries. Input errors carry where the bad input is (file, line,
// field or option) so that the CLI can print one precise line; simulation errors mean that a
// valid configuration reached a state the modelled system cannot handle (e.g. LightLLM OOM).
#include <cstdint>
#include <stdexcept>
#include <string>

namespace infersweep {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}

  // "<file>:<line>: <field>: <message>"; line <= 0 omits the line.
  static InputError in_file(const std::string& file, int64_t line, const std::string& field,
                            const std::string& message);
  // "option --<name>: <message>"
  static InputError option(const std::string& name, const std::string& message);
};

class SimulationError : public std::runtime_error {
 public:
  explicit SimulationError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace infersweep
