// Reading a configured secret (wxgate.config.v1.Secret) from its one source: an
// environment variable or a file.
//
//   secret { env: "WX_SECRET_MAIN" }   + WX_SECRET_MAIN=abc  -> "abc"
//   secret { file: "/run/secrets/wx" } + file " abc\n"       -> "abc"   (trimmed)
//   secret { env: "WX_SECRET_MAIN" }   + variable unset      ->
//     InvalidArgument "accounts[0].secret: environment variable WX_SECRET_MAIN is not set; ..."
//
// The value read is returned and nothing else: no error message, whatever the
// failure, contains any part of a secret (only the variable's name or the
// file's path). Surrounding whitespace is trimmed from both sources; a value
// that is empty after trimming is an error.
#ifndef WXGATE_SERVICE_CONFIG_SECRET_SOURCE_H_
#define WXGATE_SERVICE_CONFIG_SECRET_SOURCE_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "wxgate/config/v1/config.pb.h"

namespace wxgate::config {

// Reads an environment variable: nullopt when it is not set. Injectable so that
// tests need not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (std::getenv).
EnvLookup ProcessEnv();

// The largest secret file accepted, in bytes.
inline constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;

// Reads `secret` from its source. `field_path` is where the secret sits in the
// configuration ("accounts[0].secret") and starts every error message.
absl::StatusOr<std::string> ReadSecret(const v1::Secret& secret, std::string_view field_path,
                                       const EnvLookup& env);

}  // namespace wxgate::config

#endif  // WXGATE_SERVICE_CONFIG_SECRET_SOURCE_H_
