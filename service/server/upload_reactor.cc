#include "service/server/upload_reactor.h"

#include <memory>
#include <utility>

#include "service/call/message_bytes.h"
#include "service/errors/grpc_status.h"
#include "service/transcode/request_transcoder.h"
#include "service/transcode/upload_request.h"

namespace wxgate {
namespace {

using google::protobuf::Message;

// Owns itself until gRPC says the call is done. Reads run one at a time; the
// upstream exchange starts after the last one.
class UploadReactor : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  UploadReactor(const AdmittedCall& call, const UpstreamDeps& deps, const EndpointBinding& binding,
                grpc::ByteBuffer* response)
      : call_(call),
        deps_(deps),
        binding_(binding),
        response_(response),
        request_(NewMessage(binding.method->input_type())),
        assembler_(binding, request_.get(), deps.max_upload_bytes) {
    StartRead(&piece_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return call_.context->IsCancelled() ? Finish(grpc::Status::CANCELLED) : CallWeChat();
    std::unique_ptr<Message> piece = NewMessage(binding_.method->input_type());
    absl::Status status = ParseRequest(piece_, piece.get());
    if (status.ok()) status = assembler_.Add(*piece);
    if (!status.ok()) return Finish(ToGrpcStatus(status));
    StartRead(&piece_);
  }

  void OnCancel() override { cancellation_.Cancel(); }

  void OnDone() override { delete this; }

 private:
  void CallWeChat() {
    assembler_.Finish();
    absl::StatusOr<UpstreamRequest> upstream = TranscodeRequest(binding_, *request_);
    if (!upstream.ok()) return Finish(ToGrpcStatus(upstream.status()));
    absl::StatusOr<const Account*> account = CredentialAccount(call_, upstream->credential);
    if (!account.ok()) return Finish(ToGrpcStatus(account.status()));
    auto exchange =
        UpstreamExchange::Create(deps_, **account, *std::move(upstream), binding_.answer,
                                 call_.deadline, [this](absl::StatusOr<CheckedAnswer> answer) {
                                   if (!answer.ok()) return Finish(ToGrpcStatus(answer.status()));
                                   absl::StatusOr<MessagePtr> response =
                                       AnswerMessage(binding_.method->output_type(), answer->json);
                                   if (response.ok()) *response_ = ToByteBuffer(**response);
                                   Finish(ToGrpcStatus(response.status()));
                                 });
    cancellation_.Attach(exchange);  // before Begin: once it answers, the reactor may be gone
    exchange->Begin();
  }

  const AdmittedCall call_;
  const UpstreamDeps& deps_;
  const EndpointBinding& binding_;
  grpc::ByteBuffer* const response_;
  std::unique_ptr<Message> request_;
  UploadAssembler assembler_;
  grpc::ByteBuffer piece_;
  CallCancellation cancellation_;
};

}  // namespace

grpc::ServerReadReactor<grpc::ByteBuffer>* ServeUpload(const AdmittedCall& call,
                                                       const UpstreamDeps& deps,
                                                       const EndpointBinding& binding,
                                                       grpc::ByteBuffer* response) {
  return new UploadReactor(call, deps, binding, response);
}

}  // namespace wxgate
