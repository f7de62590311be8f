#include "wxgate_client/subscriber.h"

#include <algorithm>
#include <utility>

namespace wxgate_client {

std::optional<uint64_t> MemoryCursorStore::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  return cursor_;
}

void MemoryCursorStore::Save(uint64_t cursor) {
  std::lock_guard<std::mutex> lock(mu_);
  cursor_ = cursor;
}

Subscriber::Subscriber(const Gateway& gateway, SubscriberOptions options)
    : gateway_(gateway),
      options_(std::move(options)),
      events_(wxgate::v1::EventService::NewStub(gateway.channel())) {
  if (options_.store == nullptr) options_.store = &own_store_;
}

grpc::Status Subscriber::Run(const Handler& handler) {
  auto wait = options_.min_backoff;
  while (true) {
    bool handled = false;
    grpc::Status status = Once(handler, &handled);
    std::unique_lock<std::mutex> lock(mu_);
    if (stopped_) return grpc::Status::OK;
    switch (status.error_code()) {
      case grpc::StatusCode::OK:  // the server closed the stream
      case grpc::StatusCode::UNAVAILABLE:
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
      case grpc::StatusCode::ABORTED:
      case grpc::StatusCode::INTERNAL:
        break;
      default:
        return status;
    }
    if (handled) wait = options_.min_backoff;
    if (options_.on_retry) options_.on_retry(status, wait);
    wake_.wait_for(lock, wait, [this] { return stopped_; });
    if (stopped_) return grpc::Status::OK;
    wait = std::min(2 * wait, options_.max_backoff);
  }
}

void Subscriber::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  if (live_ != nullptr) live_->TryCancel();
  wake_.notify_all();
}

grpc::Status Subscriber::Once(const Handler& handler, bool* handled) {
  wxgate::v1::SubscribeRequest request = options_.request;
  if (std::optional<uint64_t> cursor = options_.store->Load()) request.set_after_cursor(*cursor);
  grpc::ClientContext context;
  gateway_.Prepare(context, std::chrono::milliseconds(0));  // a stream has no deadline
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return grpc::Status::CANCELLED;
    live_ = &context;
  }
  std::unique_ptr<grpc::ClientReader<wxgate::v1::SubscribeResponse>> stream =
      events_->Subscribe(&context, request);
  wxgate::v1::SubscribeResponse response;
  while (stream->Read(&response)) {
    std::optional<wechat::mp::v1::Reply> reply = handler(response.event());
    if (request.replies()) Reply(gateway_, *events_, response.event(), reply);
    options_.store->Save(response.event().cursor());  // handled is handled
    *handled = true;
  }
  grpc::Status status = stream->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  live_ = nullptr;
  return status;
}

grpc::Status Reply(const Gateway& gateway, wxgate::v1::EventService::Stub& events,
                   const wechat::mp::v1::Event& event,
                   const std::optional<wechat::mp::v1::Reply>& reply) {
  wxgate::v1::ReplyRequest request;
  request.set_event_id(event.id());
  if (reply) *request.mutable_reply() = *reply;
  grpc::ClientContext context;
  gateway.Prepare(context);
  wxgate::v1::ReplyResponse response;
  grpc::Status status = events.Reply(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) return grpc::Status::OK;
  return status;
}

wechat::mp::v1::Reply TextReply(const std::string& content) {
  wechat::mp::v1::Reply reply;
  reply.mutable_text()->set_content(content);
  return reply;
}

}  // namespace wxgate_client
