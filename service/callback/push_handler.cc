#include "service/callback/push_handler.h"

#include <openssl/rand.h>

#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/callback_signature.h"
#include "auth/jssdk_signature.h"
#include "service/events/push_decoder.h"
#include "service/events/xml_codec.h"
#include "service/observe/log.h"

namespace wxgate {
namespace {

CallbackAnswer Text(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body)};
}

CallbackAnswer Success() { return Text(200, "success"); }

CallbackAnswer Refusal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return Text(403, std::string(status.message()));
    case absl::StatusCode::kInvalidArgument:
      return Text(400, std::string(status.message()));
    default:
      return Text(500, std::string(status.message()));
  }
}

// A new event id: 16 random bytes in hex.
std::string NewEventId() {
  unsigned char random[16];
  RAND_bytes(random, sizeof(random));
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(random), sizeof(random)));
}

}  // namespace

PushHandler::PushHandler(std::vector<CallbackAccount> accounts, EventHub& hub, PushDedup& dedup,
                         ReplyBroker& broker, Schedule schedule, std::function<absl::Time()> now)
    : hub_(hub),
      dedup_(dedup),
      broker_(broker),
      schedule_(std::move(schedule)),
      now_(std::move(now)) {
  for (CallbackAccount& account : accounts) {
    std::string appid = account.appid;
    accounts_.emplace(std::move(appid), std::move(account));
  }
}

void PushHandler::Handle(const CallbackRequest& request, const Respond& respond) const {
  const RequestTarget target = ParseRequestTarget(request.target);
  if (!absl::StartsWith(target.path, kCallbackPathPrefix)) {
    return respond(Text(404, "not a callback path; WeChat's URL is /wechat/callback/<appid>"));
  }
  const auto account = accounts_.find(target.path.substr(kCallbackPathPrefix.size()));
  if (account == accounts_.end()) {
    return respond(Text(404, "no account with callbacks at this path"));
  }
  if (request.method == "GET") return respond(Verify(account->second, target));
  if (request.method != "POST") return respond(Text(405, "only GET and POST"));

  const bool encrypted = target.Param("encrypt_type") == "aes";
  absl::StatusOr<std::string> plain = OpenPush(account->second, target, request.body, encrypted);
  if (!plain.ok()) {
    Log(LogLevel::kWarning, "callback_refused",
        {{"appid", account->first}, {"reason", plain.status().message()}});
    return respond(Refusal(plain.status()));
  }
  Publish(account->second, *plain, encrypted, respond);
}

CallbackAnswer PushHandler::Verify(const CallbackAccount& account,
                                   const RequestTarget& target) const {
  const std::string expected =
      CallbackSignature(account.token, target.Param("timestamp"), target.Param("nonce"));
  if (!SignaturesEqual(expected, target.Param("signature"))) {
    Log(LogLevel::kWarning, "callback_refused",
        {{"appid", account.appid}, {"reason", "bad verification signature"}});
    return Text(403, "signature does not match");
  }
  return Text(200, target.Param("echostr"));
}

absl::StatusOr<std::string> PushHandler::OpenPush(const CallbackAccount& account,
                                                  const RequestTarget& target,
                                                  const std::string& body, bool encrypted) const {
  const std::string timestamp = target.Param("timestamp");
  const std::string nonce = target.Param("nonce");
  if (!encrypted) {
    if (account.mode == config::v1::CALLBACK_MODE_SAFE) {
      return absl::PermissionDeniedError(
          "this account takes encrypted pushes only (safe mode); a clear push is refused");
    }
    if (!SignaturesEqual(CallbackSignature(account.token, timestamp, nonce),
                         target.Param("signature"))) {
      return absl::PermissionDeniedError("signature does not match");
    }
    return body;
  }
  if (!account.cipher.has_value()) {
    return absl::InvalidArgumentError(
        "the push is encrypted but this account is configured for plain mode; set its "
        "callback.mode and encoding_aes_key");
  }
  pugi::xml_document outer;
  if (absl::Status status = ParseUntrustedXml(body, outer); !status.ok()) return status;
  const std::string encrypt = outer.document_element().child("Encrypt").text().get();
  if (encrypt.empty()) return absl::InvalidArgumentError("the encrypted push has no <Encrypt>");
  if (!SignaturesEqual(MessageSignature(account.token, timestamp, nonce, encrypt),
                       target.Param("msg_signature"))) {
    return absl::PermissionDeniedError("msg_signature does not match");
  }
  return account.cipher->Decrypt(encrypt);
}

void PushHandler::Publish(const CallbackAccount& account, const std::string& plain_xml,
                          bool encrypted, const Respond& respond) const {
  absl::StatusOr<DecodedPush> decoded = DecodePush(plain_xml);
  if (!decoded.ok()) {
    Log(LogLevel::kWarning, "callback_refused",
        {{"appid", account.appid}, {"reason", decoded.status().message()}});
    return respond(Refusal(decoded.status()));
  }
  wechat::mp::v1::Event& event = decoded->event;
  event.set_appid(account.appid);
  event.set_id(NewEventId());
  const absl::Time now = now_();
  event.mutable_received_time()->set_seconds(absl::ToUnixSeconds(now));
  event.mutable_received_time()->set_nanos(static_cast<int32_t>(
      (now - absl::FromUnixSeconds(absl::ToUnixSeconds(now))) / absl::Nanoseconds(1)));
  if (!dedup_.FirstSighting(PushIdentity(event))) {
    Log(LogLevel::kInfo, "callback_repeat",
        {{"appid", account.appid}, {"msg_type", event.msg_type()}});
    return respond(Success());
  }
  if (!decoded->unplaced.empty()) {
    // Only the count: the values are user content. raw_xml carries them to subscribers.
    Log(LogLevel::kWarning, "callback_unplaced_elements",
        {{"appid", account.appid},
         {"msg_type", event.msg_type()},
         {"event", event.event()},
         {"count", absl::StrCat(decoded->unplaced.size())}});
  }
  const std::string id = event.id();
  if (event.reply_allowed()) {
    broker_.Await(std::make_shared<const wechat::mp::v1::Event>(event),
                  [this, &account, encrypted, respond](std::optional<std::string> reply_xml) {
                    respond(reply_xml ? ReplyAnswer(account, *reply_xml, encrypted) : Success());
                  });
  }
  const EventHub::Published published = hub_.Publish(std::move(event));
  if (!published.event->reply_allowed()) return respond(Success());
  if (!published.awaits_reply) return broker_.Expire(id);
  schedule_(account.reply_window, [this, id] { broker_.Expire(id); });
}

CallbackAnswer PushHandler::ReplyAnswer(const CallbackAccount& account,
                                        const std::string& reply_xml, bool encrypted) const {
  if (!encrypted) return {200, "application/xml; charset=utf-8", reply_xml};
  const std::string encrypt = account.cipher->Encrypt(reply_xml);
  const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(now_()));
  const std::string nonce = NewNonce();
  pugi::xml_document document;
  pugi::xml_node root = document.append_child("xml");
  root.append_child("Encrypt").append_child(pugi::node_cdata).set_value(encrypt.c_str());
  root.append_child("MsgSignature")
      .append_child(pugi::node_cdata)
      .set_value(MessageSignature(account.token, timestamp, nonce, encrypt).c_str());
  root.append_child("TimeStamp").text().set(timestamp.c_str());
  root.append_child("Nonce").append_child(pugi::node_cdata).set_value(nonce.c_str());
  std::ostringstream out;
  document.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return {200, "application/xml; charset=utf-8", out.str()};
}

}  // namespace wxgate
