// PushSender does what WeChat does to deliver a push to an account's callback URL:
// sign it, in safe mode encrypt it, POST it, and read the answer; a safe-mode reply
// is checked (msg_signature) and decrypted as WeChat would.
//
//   PushSender sender({.url = "http://127.0.0.1:8080/wechat/callback/wx1",
//                      .appid = "wx1", .token = "t", .encoding_aes_key = key});
//   absl::StatusOr<PushAnswer> answer = sender.Send("<xml>...</xml>");
//   answer->http_status == 200, answer->body == "success" or the reply's XML
//
// Plain HTTP: in production WeChat reaches the gateway through a TLS terminator.
#ifndef WXGATE_TESTS_FAKE_WECHAT_PUSH_SENDER_H_
#define WXGATE_TESTS_FAKE_WECHAT_PUSH_SENDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace wxgate::fake {

struct PushTarget {
  std::string url;  // the account's callback URL
  std::string appid;
  std::string token;
  std::string encoding_aes_key;  // empty: plain mode
  absl::Duration timeout = absl::Seconds(30);
};

struct PushAnswer {
  long http_status = 0;
  // The body; in safe mode, a reply's decrypted XML.
  std::string body;
};

// A component_verify_ticket push to the third-party platform `component_appid`, as
// WeChat sends one every 10 minutes (InfoType component_verify_ticket).
std::string ComponentTicketXml(const std::string& component_appid, const std::string& ticket,
                               absl::Time now);
// An `authorized` push: `authorizer_appid` authorized the platform and `code`
// (valid an hour) exchanges for its tokens.
std::string AuthorizedXml(const std::string& component_appid, const std::string& authorizer_appid,
                          const std::string& code, absl::Time now);
// An `unauthorized` push: `authorizer_appid` revoked its authorization.
std::string UnauthorizedXml(const std::string& component_appid, const std::string& authorizer_appid,
                            absl::Time now);

// Keeps its connection alive between pushes; one thread at a time.
class PushSender {
 public:
  explicit PushSender(PushTarget target);
  ~PushSender();
  PushSender(const PushSender&) = delete;
  PushSender& operator=(const PushSender&) = delete;

  // UNAVAILABLE when the request fails; DATA_LOSS when a safe-mode reply's
  // signature does not match or it does not decrypt.
  absl::StatusOr<PushAnswer> Send(const std::string& xml);

 private:
  PushTarget target_;
  void* curl_;  // CURL*, kept for its connection
};

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_PUSH_SENDER_H_
