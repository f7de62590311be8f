// Messages to and from the raw bytes gRPC hands AdmittedService, by descriptor.
#ifndef WXGATE_SERVICE_CALL_MESSAGE_BYTES_H_
#define WXGATE_SERVICE_CALL_MESSAGE_BYTES_H_

#include <google/protobuf/message.h>
#include <grpcpp/support/byte_buffer.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace wxgate {

// An empty message of a generated type.
std::unique_ptr<google::protobuf::Message> NewMessage(const google::protobuf::Descriptor* type);

// INVALID_ARGUMENT MALFORMED_REQUEST when `bytes` are not a `message`.
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* message);

grpc::ByteBuffer ToByteBuffer(const google::protobuf::Message& message);

// WeChat's checked JSON answer read into a message of `type` (UPSTREAM_SCHEMA when
// it does not fit: answer_parser.h).
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> AnswerMessage(
    const google::protobuf::Descriptor* type, const nlohmann::json& answer);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALL_MESSAGE_BYTES_H_
