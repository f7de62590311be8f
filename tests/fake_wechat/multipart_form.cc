#include "tests/fake_wechat/multipart_form.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace wxgate::fake {
namespace {

// The value of `name="…"` in a Content-Disposition header; "" when absent.
std::string QuotedParam(absl::string_view header, absl::string_view name) {
  for (absl::string_view param : absl::StrSplit(header, ';')) {
    param = absl::StripAsciiWhitespace(param);
    if (absl::ConsumePrefix(&param, absl::StrCat(name, "=\"")) &&
        absl::ConsumeSuffix(&param, "\"")) {
      return std::string(param);
    }
  }
  return "";
}

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed multipart body: ", what));
}

}  // namespace

absl::StatusOr<std::map<std::string, FormPart>> ParseMultipartForm(absl::string_view content_type,
                                                                   absl::string_view body) {
  if (!absl::StartsWithIgnoreCase(content_type, "multipart/form-data")) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected multipart/form-data, got \"", content_type, "\""));
  }
  size_t at = content_type.find("boundary=");
  if (at == absl::string_view::npos) return Malformed("no boundary in the content type");
  const std::string delimiter = absl::StrCat("--", content_type.substr(at + 9));

  std::map<std::string, FormPart> parts;
  size_t pos = body.find(delimiter);
  if (pos != 0) return Malformed("does not start with the boundary");
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") return Malformed("no line break after a boundary");
    pos += 2;
    size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == absl::string_view::npos) return Malformed("a part's headers do not end");
    FormPart part;
    std::string name;
    for (absl::string_view line :
         absl::StrSplit(body.substr(pos, headers_end - pos), "\r\n", absl::SkipEmpty())) {
      if (absl::ConsumePrefix(&line, "Content-Disposition:")) {
        name = QuotedParam(line, "name");
        part.filename = QuotedParam(line, "filename");
      } else if (absl::ConsumePrefix(&line, "Content-Type:")) {
        part.content_type = std::string(absl::StripAsciiWhitespace(line));
      }
    }
    if (name.empty()) return Malformed("a part has no name");
    size_t content_start = headers_end + 4;
    size_t next = body.find(absl::StrCat("\r\n", delimiter), content_start);
    if (next == absl::string_view::npos) return Malformed("no closing boundary");
    part.content = std::string(body.substr(content_start, next - content_start));
    parts[name] = std::move(part);
    pos = next + 2;
  }
}

}  // namespace wxgate::fake
