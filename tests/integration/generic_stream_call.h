// GenericStreamCall: calls a streaming method by name with raw messages, as a
// client in any language would: sends every request, half-closes, and collects
// every response and the final status.
//
//   GenericStreamCall call(channel, "/wechat.mp.v1.MaterialService/UploadMedia",
//                          {piece1.SerializeAsString(), piece2.SerializeAsString()});
//   call.Wait();  // false if the call did not end in time
//   call.status(); call.responses();
//
// On the wire a client-, server- or bidi-streaming call looks the same, so one
// bidi reactor serves them all.
#ifndef WXGATE_TESTS_INTEGRATION_GENERIC_STREAM_CALL_H_
#define WXGATE_TESTS_INTEGRATION_GENERIC_STREAM_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace wxgate::testing {

class GenericStreamCall : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  GenericStreamCall(
      std::shared_ptr<grpc::Channel> channel, const std::string& method,
      std::vector<std::string> requests,
      std::unique_ptr<grpc::ClientContext> context = std::make_unique<grpc::ClientContext>());

  // Waits for the call to end; false after `timeout`.
  bool Wait(absl::Duration timeout = absl::Seconds(60));
  const grpc::Status& status() const { return status_; }
  const std::vector<std::string>& responses() const { return responses_; }
  grpc::ClientContext& context() { return *context_; }

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  void WriteNext();

  grpc::GenericStub stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::vector<std::string> requests_;
  size_t next_ = 0;
  grpc::ByteBuffer write_buffer_;
  grpc::ByteBuffer read_buffer_;
  std::vector<std::string> responses_;
  grpc::Status status_;
  absl::Notification done_;
};

}  // namespace wxgate::testing

#endif  // WXGATE_TESTS_INTEGRATION_GENERIC_STREAM_CALL_H_
