#include "service/config/secret_source.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/config/read_file.h"

namespace wxgate::config {
namespace {

// POSIX portable names: letters, digits and '_', not starting with a digit.
// Checked before the name is looked up so that a secret pasted by mistake where
// a name belongs is rejected without being echoed in the message.
bool IsEnvVarName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

absl::StatusOr<std::string> ReadFromEnv(const std::string& name, absl::string_view field_path,
                                        const EnvLookup& env) {
  if (!IsEnvVarName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field_path,
        ".env: not an environment variable name; give the variable's name (letters, digits "
        "and underscores, not starting with a digit), never the secret itself"));
  }
  std::optional<std::string> value = env(name);
  if (!value.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(field_path, ": environment variable ", name,
                                                   " is not set; set it to the secret, or use "
                                                   "file: to read the secret from a file"));
  }
  std::string trimmed(absl::StripAsciiWhitespace(*value));
  if (trimmed.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field_path, ": environment variable ", name,
                                                   " is empty; set it to the secret"));
  }
  return trimmed;
}

absl::StatusOr<std::string> ReadFromFile(const std::string& path, absl::string_view field_path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field_path, ".file: empty; give the path of the file that holds the secret"));
  }
  absl::StatusOr<std::string> contents = ReadSmallFile(path, kMaxSecretFileBytes);
  if (!contents.ok()) {
    return absl::Status(contents.status().code(),
                        absl::StrCat(field_path, ": ", contents.status().message()));
  }
  std::string trimmed(absl::StripAsciiWhitespace(*contents));
  if (trimmed.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field_path, ": secret file \"", path,
                                                   "\" is empty; write the secret into it"));
  }
  return trimmed;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<std::string> ReadSecret(const v1::Secret& secret, std::string_view std_field_path,
                                       const EnvLookup& env) {
  absl::string_view field_path(std_field_path.data(), std_field_path.size());
  switch (secret.source_case()) {
    case v1::Secret::kEnv:
      return ReadFromEnv(secret.env(), field_path, env);
    case v1::Secret::kFile:
      return ReadFromFile(secret.file(), field_path);
    case v1::Secret::SOURCE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field_path,
                   ": no source; set env (the name of an environment variable) or file (the "
                   "path of a file) that holds the secret"));
}

}  // namespace wxgate::config
