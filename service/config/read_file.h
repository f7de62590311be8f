// ReadSmallFile: the whole contents of a file that is expected to be small (a
// configuration file, a secret, a CA bundle), read in one call.
//
//   ReadSmallFile("/run/secrets/wx", 64 * 1024)
//     -> "the bytes of the file"                                  on success
//     -> NotFound: cannot read "/run/secrets/wx": No such file or directory
//     -> InvalidArgument: "/etc" is a directory, not a file
//     -> InvalidArgument: "/dev/zero" is larger than 65536 bytes
//
// Error messages name the path and never include any of the file's contents, so
// the function is safe for files that hold secrets. The status code follows
// errno where there is one (NotFound, PermissionDenied, ...).
#ifndef WXGATE_SERVICE_CONFIG_READ_FILE_H_
#define WXGATE_SERVICE_CONFIG_READ_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace wxgate::config {

// Reads `path` completely; fails if it holds more than `max_bytes` bytes.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, std::size_t max_bytes);

}  // namespace wxgate::config

#endif  // WXGATE_SERVICE_CONFIG_READ_FILE_H_
