#include "service/server/upload_reactor.h"

#include <memory>
#include <utility>

#include "service/errors/grpc_status.h"
#include "service/server/message_bytes.h"
#include "service/server/upstream_reactor.h"
#include "service/transcode/answer_parser.h"
#include "service/transcode/request_builder.h"
#include "service/transcode/upload_request.h"

namespace wxgate {
namespace {

using google::protobuf::Message;

// Owns itself until gRPC says the call is done. Reads run one at a time; the
// upstream call starts after the last one.
class UploadReactor : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  UploadReactor(grpc::CallbackServerContext* context, const UpstreamDeps& deps,
                const Account& account, const EndpointBinding& binding, grpc::ByteBuffer* response)
      : context_(context),
        deps_(deps),
        account_(account),
        binding_(binding),
        response_(response),
        request_(NewMessage(binding.method->input_type())),
        assembler_(binding, request_.get(), deps.max_upload_bytes) {
    StartRead(&piece_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return context_->IsCancelled() ? Finish(grpc::Status::CANCELLED) : CallWeChat();
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
    std::shared_ptr<const Message> request = std::move(request_);
    auto build = [binding = &binding_, base_url = deps_.BaseUrlFor(binding_.host), request](
                     const CallCredential& credential, absl::Duration timeout) {
      return BuildHttpRequest(*binding, *request, base_url, credential, timeout);
    };
    auto call =
        UpstreamCall::Create(deps_, account_, binding_.SendsToken(), std::move(build),
                             DeadlineOf(*context_), [this](absl::StatusOr<CheckedAnswer> answer) {
                               if (!answer.ok()) return Finish(ToGrpcStatus(answer.status()));
                               absl::StatusOr<grpc::ByteBuffer> bytes =
                                   AnswerBytes(binding_.method->output_type(), answer->json);
                               if (bytes.ok()) *response_ = *std::move(bytes);
                               Finish(ToGrpcStatus(bytes.status()));
                             });
    cancellation_.Attach(call);  // before Begin: once done runs, the reactor may be gone
    call->Begin();
  }

  grpc::CallbackServerContext* const context_;
  const UpstreamDeps& deps_;
  const Account& account_;
  const EndpointBinding& binding_;
  grpc::ByteBuffer* const response_;
  std::unique_ptr<Message> request_;
  UploadAssembler assembler_;
  grpc::ByteBuffer piece_;
  CallCancellation cancellation_;
};

// Refuses the call before reading anything.
class RefusedUpload : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedUpload(const absl::Status& why) { Finish(ToGrpcStatus(why)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerReadReactor<grpc::ByteBuffer>* ServeUpload(grpc::CallbackServerContext* context,
                                                       const UpstreamDeps& deps,
                                                       const CallAdmission& admission,
                                                       const EndpointBinding& binding,
                                                       grpc::ByteBuffer* response) {
  absl::StatusOr<const Account*> account = admission.Admit(*context, MethodName(*binding.method));
  if (!account.ok()) return new RefusedUpload(account.status());
  return new UploadReactor(context, deps, **account, binding, response);
}

}  // namespace wxgate
