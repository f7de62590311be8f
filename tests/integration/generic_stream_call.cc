#include "tests/integration/generic_stream_call.h"

#include <utility>

namespace wxgate::testing {

GenericStreamCall::GenericStreamCall(std::shared_ptr<grpc::Channel> channel,
                                     const std::string& method, std::vector<std::string> requests,
                                     std::unique_ptr<grpc::ClientContext> context)
    : stub_(std::move(channel)), context_(std::move(context)), requests_(std::move(requests)) {
  stub_.PrepareBidiStreamingCall(context_.get(), method, grpc::StubOptions(), this);
  StartRead(&read_buffer_);
  WriteNext();
  StartCall();
}

void GenericStreamCall::WriteNext() {
  if (next_ == requests_.size()) return StartWritesDone();
  grpc::Slice slice(requests_[next_++]);
  write_buffer_ = grpc::ByteBuffer(&slice, 1);
  StartWrite(&write_buffer_);
}

void GenericStreamCall::OnWriteDone(bool ok) {
  if (ok) WriteNext();  // a failed write means the call is ending: OnDone follows
}

void GenericStreamCall::OnReadDone(bool ok) {
  if (!ok) return;
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (read_buffer_.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  responses_.push_back(std::move(bytes));
  StartRead(&read_buffer_);
}

void GenericStreamCall::OnDone(const grpc::Status& status) {
  status_ = status;
  done_.Notify();
}

bool GenericStreamCall::Wait(absl::Duration timeout) {
  return done_.WaitForNotificationWithTimeout(timeout);
}

}  // namespace wxgate::testing
