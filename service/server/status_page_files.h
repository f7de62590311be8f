// The status page's files (service/server/status_page/), built into the binary by
// CMake (status_page/embed_files.cmake), so that a container needs nothing beside
// it:
//
//   StatusPageFile("status.js")   -> the script's bytes
//   StatusPageFile("missing")     -> ""
#ifndef WXGATE_SERVICE_SERVER_STATUS_PAGE_FILES_H_
#define WXGATE_SERVICE_SERVER_STATUS_PAGE_FILES_H_

#include "absl/strings/string_view.h"

namespace wxgate {

// The bytes of the file of that name; empty when there is none.
absl::string_view StatusPageFile(absl::string_view name);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_STATUS_PAGE_FILES_H_
