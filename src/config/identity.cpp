#include "infersweep/config/identity.hpp"

#include <filesystem>

namespace infersweep::config::detail {

std::string portable_value(const SettingSpec& spec, const std::string& text, const FileIdentity& file_identity) {
  if (text.empty()) return text;
  switch (spec.id_form) {
    case IdForm::value:
      return text;
    case IdForm::file_name:
      return std::filesystem::path(text).filename().string();
    case IdForm::file_content:
      return file_identity ? file_identity(text) : text;
  }
  return text;
}

// What a value that is not part of the config id stands as: empty text, or zero.
std::string neutral_value(const SettingSpec& spec) {
  switch (spec.kind) {
    case Kind::boolean:
      return spec.bool_as_digit ? "0" : "false";
    case Kind::integer:
    case Kind::unsigned_integer:
    case Kind::number:
      return "0";
    case Kind::optional_integer:
      return "default";
    case Kind::text:
    case Kind::text_list:
      return "";
  }
  return "";
}

}  // namespace infersweep::config::detail
