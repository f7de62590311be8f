#include "service/transcode/upload_request.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"

namespace wxgate {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const FieldDescriptor& ContentField(const FieldDescriptor& file_field) {
  return *file_field.message_type()->FindFieldByName("content");
}

}  // namespace

size_t UploadBytes(const EndpointBinding& binding, const Message& request) {
  size_t bytes = 0;
  const auto& r = *request.GetReflection();
  for (const FieldDescriptor* field : binding.file_fields) {
    if (!r.HasField(request, field)) continue;
    const Message& file = r.GetMessage(request, field);
    std::string scratch;
    bytes += file.GetReflection()->GetStringReference(file, &ContentField(*field), &scratch).size();
  }
  return bytes;
}

absl::Status CheckUploadSize(size_t bytes, size_t limit) {
  if (bytes <= limit) return absl::OkStatus();
  return GatewayError(Reason::kUploadTooLarge,
                      absl::StrCat("the upload holds more than ", limit,
                                   " bytes of files (upstream.max_upload_bytes); send a smaller "
                                   "file"));
}

UploadAssembler::UploadAssembler(const EndpointBinding& binding, Message* request, size_t limit)
    : binding_(binding), request_(request), limit_(limit), contents_(binding.file_fields.size()) {}

absl::Status UploadAssembler::Add(Message& piece) {
  bytes_ += UploadBytes(binding_, piece);
  if (absl::Status status = CheckUploadSize(bytes_, limit_); !status.ok()) return status;
  const auto& r = *piece.GetReflection();
  for (size_t i = 0; i < binding_.file_fields.size(); ++i) {
    const FieldDescriptor* field = binding_.file_fields[i];
    if (!r.HasField(piece, field)) continue;
    Message* file = r.MutableMessage(&piece, field);
    contents_[i] += file->GetReflection()->GetString(*file, &ContentField(*field));
    file->GetReflection()->ClearField(file, &ContentField(*field));
  }
  request_->MergeFrom(piece);
  return absl::OkStatus();
}

void UploadAssembler::Finish() {
  for (size_t i = 0; i < binding_.file_fields.size(); ++i) {
    if (contents_[i].empty()) continue;
    const FieldDescriptor* field = binding_.file_fields[i];
    Message* file = request_->GetReflection()->MutableMessage(request_, field);
    file->GetReflection()->SetString(file, &ContentField(*field), std::move(contents_[i]));
  }
}

}  // namespace wxgate
