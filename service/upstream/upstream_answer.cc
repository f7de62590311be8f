#include "service/upstream/upstream_answer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/errors/wechat_errors.h"

namespace wxgate {

absl::StatusOr<nlohmann::json> ParseAnswerJson(const HttpResponse& answer) {
  using Code = absl::StatusCode;
  if (answer.status != 200) {
    const bool transient = answer.status >= 500 || answer.status == 429;
    return GatewayError(Reason::kUpstreamHttpStatus,
                        transient ? Code::kUnavailable : Code::kInternal,
                        absl::StrCat("upstream answered HTTP ", answer.status,
                                     transient ? "; retry later" : "; the endpoint may have moved"),
                        {{"http_status", absl::StrCat(answer.status)}});
  }
  nlohmann::json json = nlohmann::json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return GatewayError(
        Reason::kUpstreamNotJson,
        absl::StrCat("upstream answered ", answer.body.size(), " bytes of ",
                     answer.content_type.empty() ? "untyped content" : answer.content_type,
                     " that are not a JSON object"));
  }
  if (auto errcode = json.find("errcode");
      errcode != json.end() && errcode->is_number_integer() && errcode->get<int64_t>() != 0) {
    // errmsg is read whatever its type: a malformed answer must not throw.
    auto errmsg = json.find("errmsg");
    std::string text = errmsg == json.end()  ? ""
                       : errmsg->is_string() ? errmsg->get<std::string>()
                                             : errmsg->dump();
    return WeChatError(static_cast<int>(errcode->get<int64_t>()), text);
  }
  return json;
}

absl::StatusOr<CheckedAnswer> CheckAnswer(HttpResponse answer, AnswerKind kind) {
  const bool download = kind == ANSWER_KIND_BINARY || kind == ANSWER_KIND_JSON_OR_BINARY;
  if (download && answer.status == 200) {
    const bool labelled_json =
        absl::StrContains(absl::AsciiStrToLower(answer.content_type), "json") ||
        absl::StartsWithIgnoreCase(answer.content_type, "text/plain");
    const bool is_object =
        labelled_json &&
        nlohmann::json::parse(answer.body, nullptr, /*allow_exceptions=*/false).is_object();
    if (!is_object) return CheckedAnswer{.file = std::move(answer)};
  }
  absl::StatusOr<nlohmann::json> json = ParseAnswerJson(answer);
  if (!json.ok()) return json.status();
  if (kind == ANSWER_KIND_BINARY) {
    return GatewayError(Reason::kUpstreamNotFile,
                        absl::StrCat("upstream answered a JSON object without an error where a "
                                     "file was expected (",
                                     answer.body.size(), " bytes)"));
  }
  return CheckedAnswer{.json = *std::move(json)};
}

std::string FileNameOf(absl::string_view content_disposition) {
  for (absl::string_view param : absl::StrSplit(content_disposition, ';')) {
    param = absl::StripAsciiWhitespace(param);
    if (!absl::ConsumePrefix(&param, "filename=")) continue;
    absl::ConsumePrefix(&param, "\"");
    absl::ConsumeSuffix(&param, "\"");
    return std::string(param);
  }
  return "";
}

}  // namespace wxgate
