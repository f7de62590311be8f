#include "service/call/message_bytes.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/transcode/answer_parser.h"

namespace wxgate {

using google::protobuf::Message;

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

absl::Status ParseRequest(const grpc::ByteBuffer& bytes, Message* message) {
  std::vector<grpc::Slice> slices;
  bool parsed = bytes.Dump(&slices).ok();
  if (parsed && slices.size() == 1) {
    // The usual small request arrives in one slice: parsed in place, not copied.
    parsed =
        message->ParseFromArray(slices.front().begin(), static_cast<int>(slices.front().size()));
  } else if (parsed) {
    std::string joined;
    joined.reserve(bytes.Length());
    for (const grpc::Slice& slice : slices) {
      joined.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    parsed = message->ParseFromString(joined);
  }
  if (parsed) return absl::OkStatus();
  return GatewayError(
      Reason::kMalformedRequest,
      absl::StrCat("the request is not a valid ", message->GetDescriptor()->full_name()));
}

grpc::ByteBuffer ToByteBuffer(const Message& message) {
  // Serialized straight into gRPC's slice: no intermediate string to fill and copy.
  grpc::Slice slice(message.ByteSizeLong());
  message.SerializeWithCachedSizesToArray(const_cast<uint8_t*>(slice.begin()));
  return grpc::ByteBuffer(&slice, 1);
}

absl::StatusOr<std::unique_ptr<Message>> AnswerMessage(const google::protobuf::Descriptor* type,
                                                       const nlohmann::json& answer) {
  std::unique_ptr<Message> response = NewMessage(type);
  if (absl::Status status = ReadAnswer(answer, response.get()); !status.ok()) return status;
  return response;
}

}  // namespace wxgate
