// Turns WeChat's HTTP answer into a response message, or into the status that
// explains why it is not one:
//   HTTP status other than 200      → UNAVAILABLE (5xx, 429) or INTERNAL, UPSTREAM_HTTP_STATUS
//   a body that is not a JSON object → INTERNAL, UPSTREAM_NOT_JSON
//   errcode ≠ 0                      → WeChatError (wechat_errors.h)
//   a value of the wrong shape       → INTERNAL, UPSTREAM_SCHEMA, naming the field
#ifndef WXGATE_SERVICE_TRANSCODE_ANSWER_PARSER_H_
#define WXGATE_SERVICE_TRANSCODE_ANSWER_PARSER_H_

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "service/upstream/http_exchange.h"

namespace wxgate {

// The answer's JSON object once the HTTP status, syntax and errcode are checked.
absl::StatusOr<nlohmann::json> ParseAnswerJson(const HttpResponse& answer);

// Reads a checked answer object into `response` (UPSTREAM_SCHEMA on a mismatch).
absl::Status ReadAnswer(const nlohmann::json& answer, google::protobuf::Message* response);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TRANSCODE_ANSWER_PARSER_H_
