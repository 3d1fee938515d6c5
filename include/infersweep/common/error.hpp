#pragma once
// Typed errors at the boundaries. An input error carries what it is about (a setting by its
// name, or a file with its line and field) apart from its message, so that each front-end
// says it in its own terms: the command line as "option --tp", a grid's skip reason as the
// bare message. A simulation error means that a valid configuration reached a state the
// modelled system cannot handle (e.g. LightLLM OOM). Any other exception is a bug.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace infersweep {

class InputError : public std::runtime_error {
 public:
  enum class Subject { none, setting, file };

  // An error about the input as a whole (no setting or file to name).
  explicit InputError(const std::string& message);

  // About a file: "<file>:<line>: <field>: <message>"; line <= 0 omits the line.
  static InputError in_file(const std::string& file, int64_t line, const std::string& field,
                            const std::string& message);
  // About a setting, by its declared name (the command line's long option name).
  static InputError setting(const std::string& name, const std::string& message);

  Subject subject() const { return subject_; }
  const std::string& setting_name() const { return name_; }  // Subject::setting
  const std::string& file() const { return name_; }          // Subject::file
  int64_t line() const { return line_; }
  const std::string& field() const { return field_; }
  // What is wrong, without saying where.
  const std::string& message() const { return message_; }

 private:
  InputError(Subject subject, std::string name, int64_t line, std::string field, std::string message);

  Subject subject_ = Subject::none;
  std::string name_;
  int64_t line_ = 0;
  std::string field_;
  std::string message_;
};

class SimulationError : public std::runtime_error {
 public:
  explicit SimulationError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace infersweep
