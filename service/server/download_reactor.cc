#include "service/server/download_reactor.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "service/call/message_bytes.h"
#include "service/errors/grpc_status.h"
#include "service/transcode/request_transcoder.h"

namespace wxgate {
namespace {

using google::protobuf::Message;

// Owns itself until gRPC says the call is done. The upstream call's `done` and
// each OnWriteDone start the next step, so only one step runs at a time.
class DownloadReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit DownloadReactor(const EndpointBinding& binding) : binding_(binding) {}

  void Attach(std::shared_ptr<Cancellable> work) { cancellation_.Attach(std::move(work)); }

  // The upstream call's outcome: an error, a JSON answer or the file.
  void OnAnswer(absl::StatusOr<CheckedAnswer> answer) {
    if (!answer.ok()) return Finish(ToGrpcStatus(answer.status()));
    if (!answer->file) {
      absl::StatusOr<MessagePtr> response =
          AnswerMessage(binding_.method->output_type(), answer->json);
      if (!response.ok()) return Finish(ToGrpcStatus(response.status()));
      last_ = true;
      pending_ = ToByteBuffer(**response);
      return StartWrite(&pending_);
    }
    file_ = *std::move(answer->file);
    WriteNextChunk();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the caller went away"));
    if (last_) return Finish(grpc::Status::OK);
    WriteNextChunk();
  }

  void OnCancel() override { cancellation_.Cancel(); }

  void OnDone() override { delete this; }

 private:
  void WriteNextChunk() {
    std::unique_ptr<Message> response = NewMessage(binding_.method->output_type());
    Message* chunk =
        response->GetReflection()->MutableMessage(response.get(), binding_.chunk_field);
    const auto& type = *chunk->GetDescriptor();
    const auto& r = *chunk->GetReflection();
    if (offset_ == 0) {
      r.SetString(chunk, type.FindFieldByName("content_type"), file_.content_type);
      r.SetString(chunk, type.FindFieldByName("filename"), FileNameOf(file_.content_disposition));
      r.SetInt64(chunk, type.FindFieldByName("size"), static_cast<int64_t>(file_.body.size()));
    }
    const size_t size = std::min(kDownloadChunkBytes, file_.body.size() - offset_);
    r.SetString(chunk, type.FindFieldByName("data"), file_.body.substr(offset_, size));
    offset_ += size;
    last_ = offset_ == file_.body.size();
    pending_ = ToByteBuffer(*response);
    StartWrite(&pending_);
  }

  const EndpointBinding& binding_;
  HttpResponse file_;
  size_t offset_ = 0;
  bool last_ = false;
  grpc::ByteBuffer pending_;
  CallCancellation cancellation_;
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* ServeDownload(const AdmittedCall& call,
                                                          const UpstreamDeps& deps,
                                                          const EndpointBinding& binding,
                                                          const Message& request) {
  auto* reactor = new DownloadReactor(binding);
  absl::StatusOr<UpstreamRequest> upstream = TranscodeRequest(binding, request);
  if (!upstream.ok()) {
    reactor->Finish(ToGrpcStatus(upstream.status()));
    return reactor;
  }
  absl::StatusOr<const Account*> account = CredentialAccount(call, upstream->credential);
  if (!account.ok()) {
    reactor->Finish(ToGrpcStatus(account.status()));
    return reactor;
  }
  auto exchange = UpstreamExchange::Create(
      deps, **account, *std::move(upstream), binding.answer, call.deadline,
      [reactor](absl::StatusOr<CheckedAnswer> answer) { reactor->OnAnswer(std::move(answer)); });
  reactor->Attach(exchange);  // before Begin: once it answers, the reactor may be gone
  exchange->Begin();
  return reactor;
}

}  // namespace wxgate
