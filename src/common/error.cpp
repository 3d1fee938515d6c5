#include "infersweep/common/error.hpp"

#include "infersweep/common/text.hpp"

namespace infersweep {

namespace {

// Every part is made printable (see printable()): file contents quoted in a message must
// not put raw control bytes on a terminal or split a message over lines.
// what(): a neutral rendering for logs and failed rows; front-ends render the parts themselves.
std::string render(InputError::Subject subject, const std::string& name, int64_t line, const std::string& field,
                   const std::string& message) {
  switch (subject) {
    case InputError::Subject::none:
      return message;
    case InputError::Subject::setting:
      return "setting " + name + ": " + message;
    case InputError::Subject::file: {
      std::string where = name;
      if (line > 0) where += ":" + std::to_string(line);
      if (!field.empty()) where += ": " + field;
      return where + ": " + message;
    }
  }
  return message;
}

}  // namespace

InputError::InputError(const std::string& message) : InputError(Subject::none, "", 0, "", message) {}

InputError::InputError(Subject subject, std::string name, int64_t line, std::string field, std::string message)
    : std::runtime_error(render(subject, printable(name), line, printable(field), printable(message))),
      subject_(subject),
      name_(printable(name)),
      line_(line),
      field_(printable(field)),
      message_(printable(message)) {}

InputError InputError::in_file(const std::string& file, int64_t line, const std::string& field,
                               const std::string& message) {
  return InputError(Subject::file, file, line, field, message);
}

InputError InputError::setting(const std::string& name, const std::string& message) {
  return InputError(Subject::setting, name, 0, "", message);
}

}  // namespace infersweep
