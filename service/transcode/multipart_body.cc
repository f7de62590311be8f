#include "service/transcode/multipart_body.h"

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace wxgate {
namespace {

// A header value safe to quote: no quotes, backslashes or control characters.
std::string QuotableName(absl::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == '"' || c == '\\' || absl::ascii_iscntrl(static_cast<unsigned char>(c))) c = '_';
  }
  return out;
}

bool IsHeaderValue(absl::string_view value) {
  for (unsigned char c : value) {
    if (absl::ascii_iscntrl(c)) return false;
  }
  return true;
}

}  // namespace

std::string NewBoundary() {
  absl::BitGen random;
  return absl::StrCat("wxgate-", absl::Hex(absl::Uniform<uint64_t>(random), absl::kZeroPad16),
                      absl::Hex(absl::Uniform<uint64_t>(random), absl::kZeroPad16));
}

absl::StatusOr<MultipartBody> EncodeMultipart(const std::vector<FormPart>& parts,
                                              absl::string_view boundary) {
  MultipartBody out;
  out.content_type = absl::StrCat("multipart/form-data; boundary=", boundary);
  size_t size = 0;
  for (const FormPart& part : parts) size += part.content.size() + 256;
  out.body.reserve(size);
  for (const FormPart& part : parts) {
    absl::StrAppend(&out.body, "--", boundary, "\r\nContent-Disposition: form-data; name=\"",
                    QuotableName(part.name), "\"");
    if (!part.filename.empty()) {
      if (!IsHeaderValue(part.content_type)) {
        return absl::InvalidArgumentError(
            absl::StrCat(part.name, ".content_type holds a control character"));
      }
      absl::StrAppend(&out.body, "; filename=\"", QuotableName(part.filename),
                      "\"\r\nContent-Type: ",
                      part.content_type.empty() ? "application/octet-stream" : part.content_type);
    }
    absl::StrAppend(&out.body, "\r\n\r\n", part.content, "\r\n");
  }
  absl::StrAppend(&out.body, "--", boundary, "--\r\n");
  return out;
}

}  // namespace wxgate
