// Reads WeChat's checked JSON answer (upstream_answer.h) into a response message:
// a value of the wrong shape is INTERNAL, UPSTREAM_SCHEMA, naming the field.
//
//   ReadAnswer({"subscribe": 1, "openid": "o1"}, &user_info)  → OK, user_info filled
//   ReadAnswer({"tagid_list": "x"}, &user_info)               → UPSTREAM_SCHEMA "tagid_list: …"
#ifndef WXGATE_SERVICE_TRANSCODE_ANSWER_PARSER_H_
#define WXGATE_SERVICE_TRANSCODE_ANSWER_PARSER_H_

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace wxgate {

absl::Status ReadAnswer(const nlohmann::json& answer, google::protobuf::Message* response);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TRANSCODE_ANSWER_PARSER_H_
