// What the gateway answers WeChat on its callback URL, /wechat/callback/<appid>,
// with the HTTP plumbing left to CallbackServer and the envelope (signatures, AES)
// to CallbackEnvelope:
//
//   GET  ?signature&timestamp&nonce&echostr   -> 200 echostr, or 403 (nothing echoed)
//   POST ?signature&timestamp&nonce[&encrypt_type=aes&msg_signature]  <xml>...</xml>
//        -> opened (verified, decrypted), checked fresh, decoded, kept (PushSink:
//           deduplicated, stored, published); then 200 with a subscriber's passive
//           reply (sealed in safe mode) if one comes within the account's reply
//           window, else 200 "success". A push that could not be kept (the shared
//           store is down) gets 503, so that WeChat retries it.
//
// Every line about a push carries its trace_id: from the POST's W3C `traceparent`
// header, else a new trace; the event carries it on to subscribers (Event.traceparent).
// A `push` line (DEBUG) ends each push: appid, msg_type, event, result, latency_ms.
//
// Refusals publish nothing and are logged (callback_refused, with the reason): 400
// malformed (the body says why), 403 bad signature, a clear push to a safe-mode
// account, or a push that is not fresh (PushFreshness: signed too long ago, or too
// far ahead), 404 unknown account or path, 405 other methods. A repeat of a push
// already seen gets "success" and is not published.
//
// A third-party platform's authorization events come to
// /wechat/component/<component_appid> (ServeComponents): always encrypted with the
// component's key (safe mode; the decrypted appid must be the component_appid),
// verified and refused like an account's pushes (GET echostr the same way), and
// counted in wxgate_pushes_total under the component_appid:
//
//   POST ...&encrypt_type=aes&msg_signature=M  <xml><AppId>wxc</AppId><Encrypt>X</Encrypt></xml>
//     X → <xml><AppId>wxc</AppId><InfoType>component_verify_ticket</InfoType>
//           <ComponentVerifyTicket>T</ComponentVerifyTicket></xml>
//     → the ticket sink stores T, then the push is kept (PushSink) and published as a
//       wechat.open.v1.ComponentEvent without T or its XML → 200 "success" (503 if
//       either could not be stored)
//   authorized, updateauthorized, unauthorized
//     → the authorization sink acts on it first (exchanges the code, or revokes the
//       authorizer), then the push is kept and published without AuthorizationCode
//       or its XML → 200 "success" (503 if the sink or the store failed: WeChat
//       sends it again)
//   any other InfoType (the register notifications, …)
//     → decoded (DecodeComponentPush), kept and published → 200 "success"
//
// The pushes of the accounts that authorized it come to
// /wechat/component/<component_appid>/callback/<authorizer appid> (the console's
// 消息与事件接收URL, /callback/$APPID$), encrypted with the component's key the same
// way: an event about a mini program it manages (IsComponentEvent) becomes a
// ComponentEvent with that authorizer_appid; anything else is the account's own
// message or event, published as a wechat.mp.v1.Event with the authorizer's appid
// and answered like an account's push (passive replies sealed with the component's
// key, within the component's reply window).
//
// Thread-safe: Handle may run on several threads at once. Keeps references to the
// sink and the broker; the caller keeps them alive.
#ifndef WXGATE_SERVICE_CALLBACK_PUSH_HANDLER_H_
#define WXGATE_SERVICE_CALLBACK_PUSH_HANDLER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/callback_envelope.h"
#include "auth/message_cipher.h"
#include "service/callback/delayed_tasks.h"
#include "service/callback/http_handler.h"
#include "service/callback/push_freshness.h"
#include "service/callback/request_target.h"
#include "service/events/push_decoder.h"
#include "service/events/push_sink.h"
#include "service/events/reply_broker.h"
#include "service/observe/trace_context.h"
#include "wxgate/config/v1/config.pb.h"

namespace wxgate {

inline constexpr absl::string_view kCallbackPathPrefix = "/wechat/callback/";
inline constexpr absl::string_view kComponentPathPrefix = "/wechat/component/";

// One third-party platform's push settings, secrets included.
struct CallbackComponent {
  std::string component_appid;
  std::string token;
  std::string encoding_aes_key;
  absl::Duration reply_window = absl::Seconds(3);  // for its authorizers' pushes
};

// One account's callback settings, secrets included.
struct CallbackAccount {
  std::string appid;
  std::string token;
  config::v1::CallbackMode mode = config::v1::CALLBACK_MODE_PLAIN;
  std::optional<MessageCipher> cipher;  // compatible and safe mode
  absl::Duration reply_window = absl::Seconds(3);
};

class PushHandler final : public HttpHandler {
 public:
  // The end of each push's reply window: `schedule` runs `task` once after `delay`,
  // on any thread, unless `cancel` drops it first (the push was answered).
  struct ReplyDeadlines {
    std::function<DelayedTasks::TaskId(absl::Duration delay, std::function<void()> task)> schedule;
    std::function<void(const DelayedTasks::TaskId&)> cancel;
  };

  // Keeps references to sink and broker: the caller keeps them alive. The sink's
  // dedup window is at least freshness.MinDedupWindow(), or replays slip through.
  PushHandler(std::vector<CallbackAccount> accounts, PushSink& sink, ReplyBroker& broker,
              PushFreshness freshness, ReplyDeadlines deadlines,
              std::function<absl::Time()> now = absl::Now);

  // Keeps a component_verify_ticket WeChat pushed: `done` gets OK once it is stored.
  using TicketSink = std::function<void(const std::string& component_appid, std::string ticket,
                                        std::function<void(absl::Status)> done)>;
  // Acts on an authorized, updateauthorized or unauthorized push before it is
  // published: `done` gets OK once the gateway holds (or revoked) the grant.
  using AuthorizationSink = std::function<void(const wechat::open::v1::ComponentEvent& event,
                                               std::function<void(absl::Status)> done)>;
  // Serves the components' authorization-event URLs, handing their tickets to
  // `tickets` and their authorizations to `authorizations`. Call before the handler
  // serves. INVALID_ARGUMENT for a key that is not an EncodingAESKey.
  absl::Status ServeComponents(std::vector<CallbackComponent> components, TicketSink tickets,
                               AuthorizationSink authorizations);

  // Calls `respond` exactly once: before returning, or later from the thread that
  // delivers a Reply or runs the scheduled window's end.
  void Handle(const CallbackRequest& request, Respond respond) const override;

 private:
  // An account as the handler uses it: its token and key live in the envelope.
  struct Account {
    std::string appid;
    absl::Duration reply_window;
    CallbackEnvelope envelope;
  };

  // What every log line about one push carries, and when it came.
  struct PushTrace {
    TraceContext trace;
    std::string request_id;
    absl::Time start;
  };
  // What the `push` line (DEBUG) says of one push besides its trace.
  struct PushSummary {
    std::string appid;
    std::string msg_type;
    std::string event;
    std::string event_id;
    std::string kind;  // the payload's name (PayloadName), for wxgate_pushes_total
  };
  static void LogPush(const PushTrace& trace, const PushSummary& push, absl::string_view result);
  // Answers a push that is refused before it is published (403 or 400), logged and
  // counted under `reason`.
  static void Refuse(const PushTrace& trace, const std::string& appid, const absl::Status& why,
                     const char* reason, const Respond& respond);

  // Stamps (id, trace, time) and keeps a component push, then answers WeChat.
  // Hands an authorization push to the authorization sink, then keeps it.
  void KeepAuthorization(wechat::open::v1::ComponentEvent event, size_t unplaced,
                         const PushTrace& trace, const Respond& respond) const;
  void KeepComponentEvent(wechat::open::v1::ComponentEvent event, size_t unplaced,
                          const PushTrace& trace, const Respond& respond) const;
  static PushSummary ComponentSummary(const wechat::open::v1::ComponentEvent& event);
  // Answers a push the sink did not keep as new (a repeat, or not kept at all); false
  // when it did.
  static bool AnsweredUnlessNew(const absl::StatusOr<PushSink::Kept>& kept, const PushTrace& trace,
                                const PushSummary& summary, const Respond& respond);
  static void NotKept(const PushTrace& trace, const PushSummary& summary, const absl::Status& why,
                      const Respond& respond);
  static void LogUnplaced(const PushTrace& trace, const std::string& appid,
                          const std::string& msg_type, const std::string& event, size_t count);

  void HandleComponent(const CallbackRequest& request, const RequestTarget& target,
                       const PushTrace& trace, const Respond& respond) const;
  void KeepComponentPush(const Account& component, const std::string& plain_xml,
                         const PushTrace& trace, const Respond& respond) const;
  void KeepAuthorizerPush(const Account& component, const std::string& authorizer,
                          const std::string& plain_xml, const PushTrace& trace,
                          const Respond& respond) const;
  CallbackAnswer Verify(const Account& account, const RequestTarget& target,
                        const PushTrace& trace) const;
  // Publishes an account's push as `appid`'s; `account` holds the reply window and
  // seals replies (the component's, for an authorizer's push).
  void Publish(const Account& account, const std::string& appid, DecodedPush decoded,
               bool encrypted, const PushTrace& trace, const Respond& respond) const;
  // The HTTP answer that carries a reply's XML: as is, or sealed like the push came.
  CallbackAnswer ReplyAnswer(const Account& account, const std::string& reply_xml,
                             bool encrypted) const;

  // Filled once by the constructor, so references to its values stay valid.
  absl::flat_hash_map<std::string, Account> accounts_;
  absl::flat_hash_map<std::string, Account> components_;  // by component_appid
  TicketSink tickets_;
  AuthorizationSink authorizations_;
  PushSink& sink_;
  ReplyBroker& broker_;
  const PushFreshness freshness_;
  const ReplyDeadlines deadlines_;
  const std::function<absl::Time()> now_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALLBACK_PUSH_HANDLER_H_
