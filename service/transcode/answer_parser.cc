#include "service/transcode/answer_parser.h"

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/wechat_errors.h"
#include "service/transcode/wechat_json.h"

namespace wxgate {

absl::StatusOr<nlohmann::json> ParseAnswerJson(const HttpResponse& answer) {
  using Code = absl::StatusCode;
  if (answer.status != 200) {
    const bool transient = answer.status >= 500 || answer.status == 429;
    return ErrorWithInfo(
        transient ? Code::kUnavailable : Code::kInternal,
        absl::StrCat("upstream answered HTTP ", answer.status,
                     transient ? "; retry later" : "; the endpoint may have moved"),
        "UPSTREAM_HTTP_STATUS", kGatewayDomain, {{"http_status", absl::StrCat(answer.status)}});
  }
  nlohmann::json json = nlohmann::json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return GatewayError(
        Code::kInternal, "UPSTREAM_NOT_JSON",
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

absl::Status ReadAnswer(const nlohmann::json& answer, google::protobuf::Message* response) {
  if (absl::Status s = MergeWeChatJson(answer, response); !s.ok()) {
    return GatewayError(absl::StatusCode::kInternal, "UPSTREAM_SCHEMA",
                        absl::StrCat("upstream answer does not match ",
                                     response->GetDescriptor()->full_name(), ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace wxgate
