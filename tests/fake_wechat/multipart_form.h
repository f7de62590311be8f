// Reads a multipart/form-data body the way WeChat's upload endpoints do, so the
// fake can check that an upload carries the parts WeChat requires.
//
//   ParseMultipartForm("multipart/form-data; boundary=b",
//                      "--b\r\nContent-Disposition: form-data; name=\"media\"; "
//                      "filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nJPEG\r\n--b--\r\n")
//   → {"media": {filename "a.jpg", content_type "image/jpeg", content "JPEG"}}
//
// Anything else (another content type, no boundary, a part without a name, no
// closing delimiter) is an error saying what is wrong.
#ifndef WXGATE_TESTS_FAKE_WECHAT_MULTIPART_FORM_H_
#define WXGATE_TESTS_FAKE_WECHAT_MULTIPART_FORM_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wxgate::fake {

struct FormPart {
  std::string filename;  // empty: a plain form field
  std::string content_type;
  std::string content;
};

absl::StatusOr<std::map<std::string, FormPart>> ParseMultipartForm(absl::string_view content_type,
                                                                   absl::string_view body);

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_MULTIPART_FORM_H_
