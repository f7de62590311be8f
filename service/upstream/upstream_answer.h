// Checks WeChat's HTTP answer before anything reads it, and says why it is not
// usable when it is not:
//   HTTP status other than 200      → UNAVAILABLE (5xx, 429) or INTERNAL, UPSTREAM_HTTP_STATUS
//   a body that is not a JSON object → INTERNAL, UPSTREAM_NOT_JSON
//   errcode ≠ 0                      → WeChatError (wechat_errors.h)
//   JSON where only a file may come  → INTERNAL, UPSTREAM_NOT_FILE
//
//   CheckAnswer({.status = 200, .body = R"({"errcode":40001,"errmsg":"…"})"}, ANSWER_KIND_JSON)
//   → UNAUTHENTICATED WECHAT_40001 (a stale token: the caller may refresh and retry)
#ifndef WXGATE_SERVICE_UPSTREAM_UPSTREAM_ANSWER_H_
#define WXGATE_SERVICE_UPSTREAM_UPSTREAM_ANSWER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "service/upstream/http_exchange.h"
#include "wxgate/annotations.pb.h"

namespace wxgate {

// The answer's JSON object once the HTTP status, syntax and errcode are checked.
absl::StatusOr<nlohmann::json> ParseAnswerJson(const HttpResponse& answer);

// A checked answer of any AnswerKind: a JSON object, or the file a download got.
struct CheckedAnswer {
  nlohmann::json json;               // when WeChat answered JSON
  std::optional<HttpResponse> file;  // when it answered a file
};

// Checks an answer as `kind` expects it. A download (ANSWER_KIND_BINARY or
// JSON_OR_BINARY) is a file unless WeChat labels it JSON (or text/plain, as some
// of its errors are) and it parses as an object: then it is checked as JSON, and
// for ANSWER_KIND_BINARY a JSON answer without an error is UPSTREAM_NOT_FILE.
absl::StatusOr<CheckedAnswer> CheckAnswer(HttpResponse answer, AnswerKind kind);

// The file name a Content-Disposition header gives ("" when none):
// `attachment; filename="a.jpg"` → "a.jpg".
std::string FileNameOf(absl::string_view content_disposition);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_UPSTREAM_ANSWER_H_
