// Subscriber: streams wxgate.v1.EventService/Subscribe into a handler, one event at
// a time, sends the handler's passive reply, and saves each handled cursor in a
// CursorStore. When the stream ends with UNAVAILABLE, RESOURCE_EXHAUSTED (it fell
// behind), ABORTED or INTERNAL, or the server closes it, it subscribes again after
// the last handled cursor, waiting between attempts (doubling from min_backoff up
// to max_backoff, back to min_backoff after an event): nothing lost, nothing twice.
//
//   wxgate_client::Subscriber subscriber(gateway, {.request = request});
//   std::thread t([&] { subscriber.Run([](const wechat::mp::v1::Event& e) {
//     return std::optional(wxgate_client::TextReply("you said " + e.text().content()));
//   }); });
//   ...
//   subscriber.Stop(); t.join();
#ifndef WXGATE_CLIENT_SUBSCRIBER_H_
#define WXGATE_CLIENT_SUBSCRIBER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "wechat/mp/v1/events.pb.h"
#include "wechat/mp/v1/replies.pb.h"
#include "wxgate/v1/event.grpc.pb.h"
#include "wxgate_client/gateway.h"

namespace wxgate_client {

// Keeps the cursor of the last handled event, so that a new process resumes where
// the last one stopped (a file, Redis, a database row).
class CursorStore {
 public:
  virtual ~CursorStore() = default;
  virtual std::optional<uint64_t> Load() = 0;
  virtual void Save(uint64_t cursor) = 0;
};

// A CursorStore for the life of the process.
class MemoryCursorStore : public CursorStore {
 public:
  std::optional<uint64_t> Load() override;
  void Save(uint64_t cursor) override;

 private:
  std::mutex mu_;
  std::optional<uint64_t> cursor_;
};

// Handles one event; the reply it returns (nullopt: "success") answers the push
// when the request asks for replies.
using Handler = std::function<std::optional<wechat::mp::v1::Reply>(const wechat::mp::v1::Event&)>;

struct SubscriberOptions {
  // Filter, group, replies, raw XML; after_cursor is where to start when the store
  // has none (unset: live events only).
  wxgate::v1::SubscribeRequest request;
  // Not owned; null: a MemoryCursorStore of the subscriber's own.
  CursorStore* store = nullptr;
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{10000};
  // Hears of each resumable end before the wait.
  std::function<void(const grpc::Status&, std::chrono::milliseconds)> on_retry;
};

class Subscriber {
 public:
  // The gateway must outlive the subscriber.
  Subscriber(const Gateway& gateway, SubscriberOptions options);
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Handles events until Stop() (returns OK) or the stream ends with an error not
  // worth retrying (returns it; ErrorOf reads it).
  grpc::Status Run(const Handler& handler);
  // Ends Run() from another thread; the event being handled is finished first.
  void Stop();

 private:
  // One stream to its end; sets *handled when an event was handled.
  grpc::Status Once(const Handler& handler, bool* handled);

  const Gateway& gateway_;
  SubscriberOptions options_;
  MemoryCursorStore own_store_;
  std::unique_ptr<wxgate::v1::EventService::Stub> events_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopped_ = false;
  grpc::ClientContext* live_ = nullptr;  // guarded by mu_
};

// Answers a push (reply nullopt: "success" now). A push whose reply window has
// passed, or that was answered already, is OK: WeChat has had its answer.
grpc::Status Reply(const Gateway& gateway, wxgate::v1::EventService::Stub& events,
                   const wechat::mp::v1::Event& event,
                   const std::optional<wechat::mp::v1::Reply>& reply);

// A passive reply with a text message.
wechat::mp::v1::Reply TextReply(const std::string& content);

}  // namespace wxgate_client

#endif  // WXGATE_CLIENT_SUBSCRIBER_H_
