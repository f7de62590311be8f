// What the gateway answers WeChat on its callback URL, /wechat/callback/<appid>,
// with the HTTP plumbing left to CallbackServer:
//
//   GET  ?signature&timestamp&nonce&echostr   -> 200 echostr, or 403 (nothing echoed)
//   POST ?signature&timestamp&nonce[&encrypt_type=aes&msg_signature]  <xml>...</xml>
//        -> verified, decrypted, decoded, deduplicated, published to the EventHub;
//           then 200 with a subscriber's passive reply (encrypted in safe mode) if one
//           comes within the account's reply window, else 200 "success".
//
// Refusals publish nothing: 400 malformed (the body says why), 403 bad signature or
// a clear push to a safe-mode account, 404 unknown account or path, 405 other
// methods. A repeat of a push already seen gets "success" and is not published.
#ifndef WXGATE_SERVICE_CALLBACK_PUSH_HANDLER_H_
#define WXGATE_SERVICE_CALLBACK_PUSH_HANDLER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/message_cipher.h"
#include "service/callback/request_target.h"
#include "service/events/event_hub.h"
#include "service/events/push_dedup.h"
#include "service/events/reply_broker.h"
#include "wxgate/config/v1/config.pb.h"

namespace wxgate {

inline constexpr absl::string_view kCallbackPathPrefix = "/wechat/callback/";

// One account's callback settings, secrets included.
struct CallbackAccount {
  std::string appid;
  std::string token;
  config::v1::CallbackMode mode = config::v1::CALLBACK_MODE_PLAIN;
  std::optional<MessageCipher> cipher;  // compatible and safe mode
  absl::Duration reply_window = absl::Seconds(3);
};

struct CallbackRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string body;
};

struct CallbackAnswer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class PushHandler {
 public:
  using Respond = std::function<void(CallbackAnswer)>;
  // Runs `task` once after `delay` (the reply window), on any thread.
  using Schedule = std::function<void(absl::Duration delay, std::function<void()> task)>;

  // Keeps references to hub, dedup and broker: the caller keeps them alive.
  PushHandler(std::vector<CallbackAccount> accounts, EventHub& hub, PushDedup& dedup,
              ReplyBroker& broker, Schedule schedule, std::function<absl::Time()> now = absl::Now);

  // Calls `respond` exactly once: before returning, or later from the thread that
  // delivers a Reply or runs the scheduled window's end.
  void Handle(const CallbackRequest& request, const Respond& respond) const;

 private:
  CallbackAnswer Verify(const CallbackAccount& account, const RequestTarget& target) const;
  // The push's plain XML, after checking its signature and decrypting it.
  absl::StatusOr<std::string> OpenPush(const CallbackAccount& account, const RequestTarget& target,
                                       const std::string& body, bool encrypted) const;
  void Publish(const CallbackAccount& account, const std::string& plain_xml, bool encrypted,
               const Respond& respond) const;
  // The HTTP answer that carries a reply's XML: as is, or encrypted like the push.
  CallbackAnswer ReplyAnswer(const CallbackAccount& account, const std::string& reply_xml,
                             bool encrypted) const;

  absl::flat_hash_map<std::string, CallbackAccount> accounts_;
  EventHub& hub_;
  PushDedup& dedup_;
  ReplyBroker& broker_;
  const Schedule schedule_;
  const std::function<absl::Time()> now_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALLBACK_PUSH_HANDLER_H_
