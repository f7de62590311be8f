// Protobuf messages ⇄ WeChat's JSON, through reflection.
//
// WeChat's conventions, not proto3 JSON's:
//   - keys are the proto field names, or the field's explicit json_name;
//   - 64-bit integers are JSON numbers (WeChat rejects quoted msg ids);
//   - enums whose values carry (wxgate.wire_name) are strings, others numbers;
//   - only fields that are set are written (0, "" and false are omitted unless
//     the field has explicit presence);
//   - a message with (wxgate.json_array) is the bare array of its one repeated
//     field (WeChat's arrays of arrays).
// Reading is lenient where WeChat is inconsistent (a number quoted as a string, a
// string sent as a number, null for absent), ignores keys the message does not
// model, and reads an enum string it does not know as 0 (unspecified); a value of
// the wrong shape is an error naming its path ("tags[2].id").
#ifndef WXGATE_SERVICE_TRANSCODE_WECHAT_JSON_H_
#define WXGATE_SERVICE_TRANSCODE_WECHAT_JSON_H_

#include <google/protobuf/message.h>

#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace wxgate {

// The key WeChat uses for a field.
std::string WeChatKey(const google::protobuf::FieldDescriptor& field);

// One field's value as JSON (the whole repeated field for repeated ones).
nlohmann::json FieldToWeChatJson(const google::protobuf::Message& message,
                                 const google::protobuf::FieldDescriptor& field);

// The set fields of a message, as a JSON object (an array for json_array messages).
nlohmann::json MessageToWeChatJson(const google::protobuf::Message& message);

// Merges a JSON object into a message.
absl::Status MergeWeChatJson(const nlohmann::json& json, google::protobuf::Message* message);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TRANSCODE_WECHAT_JSON_H_
