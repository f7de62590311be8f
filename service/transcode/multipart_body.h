// MultipartBody: a multipart/form-data body (RFC 7578), as WeChat's upload
// endpoints take it.
//
//   EncodeMultipart({{.name = "media", .filename = "a.jpg", .content_type = "image/jpeg",
//                     .content = bytes},
//                    {.name = "description", .content = R"({"title":"t"})"}}, "b0undary")
//   → {content_type "multipart/form-data; boundary=b0undary",
//      body "--b0undary\r\nContent-Disposition: form-data; name=\"media\"; filename=..."}
//
// A part with a filename is a file; one without is a plain form field.
#ifndef WXGATE_SERVICE_TRANSCODE_MULTIPART_BODY_H_
#define WXGATE_SERVICE_TRANSCODE_MULTIPART_BODY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wxgate {

struct FormPart {
  std::string name;
  std::string filename;      // empty: a form field
  std::string content_type;  // files only; empty: application/octet-stream
  std::string content;
};

struct MultipartBody {
  std::string content_type;  // with the boundary
  std::string body;
};

// A boundary that no content will contain: 128 random bits, in hex.
std::string NewBoundary();

// The body, or INVALID_ARGUMENT when a part's header values would break the
// format (a line break in a content type). Quotes and line breaks in a file name
// are replaced, so that a caller's name cannot add header lines.
absl::StatusOr<MultipartBody> EncodeMultipart(const std::vector<FormPart>& parts,
                                              absl::string_view boundary);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TRANSCODE_MULTIPART_BODY_H_
