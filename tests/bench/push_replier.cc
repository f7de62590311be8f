// push_replier is the subscriber of the push benchmark's "reply" column: it
// subscribes with replies=true and answers every event with the same text passive
// reply node-webot's side gives, from gRPC's callback threads, so that one slow
// Reply never holds up reading the stream.
//
//   push_replier --target 127.0.0.1:50051 --content pong
//
// It runs until killed; the gateway logs events_subscribed once its stream is open.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "wxgate/v1/event.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "the gateway's gRPC address");
ABSL_FLAG(std::string, content, "pong", "the text of every reply");

namespace wxgate::bench {
namespace {

// One Reply call in flight; deletes itself when it ends.
struct PendingReply {
  grpc::ClientContext context;
  v1::ReplyRequest request;
  v1::ReplyResponse response;
};

std::atomic<long> failed_replies{0};

int Main() {
  auto channel =
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials());
  auto stub = v1::EventService::NewStub(channel);
  grpc::ClientContext context;
  v1::SubscribeRequest subscribe;
  subscribe.set_replies(true);
  auto reader = stub->Subscribe(&context, subscribe);
  const std::string content = absl::GetFlag(FLAGS_content);
  v1::SubscribeResponse message;
  while (reader->Read(&message)) {
    if (!message.has_event()) continue;
    auto* pending = new PendingReply;
    pending->request.set_event_id(message.event().id());
    pending->request.mutable_reply()->mutable_text()->set_content(content);
    stub->async()->Reply(&pending->context, &pending->request, &pending->response,
                         [pending](grpc::Status status) {
                           if (!status.ok() && failed_replies++ == 0) {
                             std::fprintf(stderr, "push_replier: Reply failed: %s\n",
                                          status.error_message().c_str());
                           }
                           delete pending;
                         });
  }
  const grpc::Status status = reader->Finish();
  std::fprintf(stderr, "push_replier: stream ended: %s\n", status.error_message().c_str());
  return status.ok() ? 0 : 1;
}

}  // namespace
}  // namespace wxgate::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return wxgate::bench::Main();
}
