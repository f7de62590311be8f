#include "service/callback/push_handler.h"

#include <openssl/rand.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/events/push_decoder.h"
#include "service/observe/log.h"
#include "service/observe/metrics.h"
#include "service/observe/recent_activity.h"

namespace wxgate {
namespace {

CallbackAnswer Text(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body)};
}

CallbackAnswer Success() { return Text(200, "success"); }

// wxgate_pushes_total: results are accepted, duplicate, refused and not_kept; a
// refusal has a reason.
void CountPush(const std::string& appid, std::string kind, const char* result,
               const char* reason = "") {
  GlobalMetrics().Count(Metric::kPushes, {appid, std::move(kind), result, reason});
  GlobalRecentActivity().RecordPush(appid, *reason != '\0' ? reason : result);
}

// Why an envelope was refused, as wxgate_pushes_total's reason: "signature" when it
// is not proven to come from WeChat (a signature that does not match, a clear push
// to a safe-mode account), else "malformed".
const char* EnvelopeRefusalReason(const absl::Status& why) {
  return why.code() == absl::StatusCode::kPermissionDenied ? "signature" : "malformed";
}

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

// The signed parts of a callback URL's query.
CallbackEnvelope::Query SignedQueryOf(const RequestTarget& target) {
  return {.timestamp = target.Param("timestamp"),
          .nonce = target.Param("nonce"),
          .signature = target.Param("signature"),
          .msg_signature = target.Param("msg_signature"),
          .encrypted = target.Param("encrypt_type") == "aes"};
}

}  // namespace

PushHandler::PushHandler(std::vector<CallbackAccount> accounts, PushSink& sink, ReplyBroker& broker,
                         PushFreshness freshness, Schedule schedule,
                         std::function<absl::Time()> now)
    : sink_(sink),
      broker_(broker),
      freshness_(freshness),
      schedule_(std::move(schedule)),
      now_(std::move(now)) {
  for (CallbackAccount& account : accounts) {
    std::string appid = account.appid;
    accounts_.try_emplace(std::move(appid), Account{.appid = account.appid,
                                                    .reply_window = account.reply_window,
                                                    .envelope = CallbackEnvelope(
                                                        std::move(account.token), account.mode,
                                                        std::move(account.cipher))});
  }
}

void PushHandler::Handle(const CallbackRequest& request, Respond respond) const {
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

  const CallbackEnvelope::Query query = SignedQueryOf(target);
  const std::string& appid = account->first;
  auto refuse = [&](const absl::Status& why, const char* reason) {
    Log(LogLevel::kWarning, "callback_refused", {{"appid", appid}, {"reason", why.message()}});
    CountPush(appid, "undecoded", "refused", reason);
    respond(Refusal(why));
  };
  absl::StatusOr<std::string> plain = account->second.envelope.Open(query, request.body);
  if (!plain.ok()) return refuse(plain.status(), EnvelopeRefusalReason(plain.status()));
  // Checked once the signature holds: the timestamp is WeChat's only then.
  if (absl::Status fresh = freshness_.Check(query.timestamp, now_()); !fresh.ok()) {
    return refuse(fresh, "stale");
  }
  Publish(account->second, *plain, query.encrypted, respond);
}

CallbackAnswer PushHandler::Verify(const Account& account, const RequestTarget& target) const {
  if (!account.envelope.Verify(SignedQueryOf(target)).ok()) {
    Log(LogLevel::kWarning, "callback_refused",
        {{"appid", account.appid}, {"reason", "bad verification signature"}});
    return Text(403, "signature does not match");
  }
  return Text(200, target.Param("echostr"));
}

void PushHandler::Publish(const Account& account, const std::string& plain_xml, bool encrypted,
                          const Respond& respond) const {
  absl::StatusOr<DecodedPush> decoded = DecodePush(plain_xml);
  if (!decoded.ok()) {
    Log(LogLevel::kWarning, "callback_refused",
        {{"appid", account.appid}, {"reason", decoded.status().message()}});
    CountPush(account.appid, "undecoded", "refused", "malformed");
    return respond(Refusal(decoded.status()));
  }
  wechat::mp::v1::Event& event = decoded->event;
  event.set_appid(account.appid);
  event.set_id(NewEventId());
  const absl::Time now = now_();
  event.mutable_received_time()->set_seconds(absl::ToUnixSeconds(now));
  event.mutable_received_time()->set_nanos(static_cast<int32_t>(
      (now - absl::FromUnixSeconds(absl::ToUnixSeconds(now))) / absl::Nanoseconds(1)));
  if (!decoded->unplaced.empty()) {
    // Only the count: the values are user content. raw_xml carries them to subscribers.
    Log(LogLevel::kWarning, "callback_unplaced_elements",
        {{"appid", account.appid},
         {"msg_type", event.msg_type()},
         {"event", event.event()},
         {"count", absl::StrCat(decoded->unplaced.size())}});
  }
  const std::string id = event.id();
  const bool reply_allowed = event.reply_allowed();
  // Awaited before it is kept: on another replica a subscriber may reply at once.
  if (reply_allowed) {
    broker_.Await(std::make_shared<const wechat::mp::v1::Event>(event),
                  [this, &account, encrypted, respond](std::optional<std::string> reply_xml) {
                    respond(reply_xml ? ReplyAnswer(account, *reply_xml, encrypted) : Success());
                  });
  }
  std::string msg_type = event.msg_type();
  std::string kind = PayloadName(event);
  sink_.Keep(std::move(event), reply_allowed ? account.reply_window : absl::ZeroDuration(),
             [this, &account, id, reply_allowed, msg_type = std::move(msg_type),
              kind = std::move(kind), respond](absl::StatusOr<PushSink::Kept> kept) {
               if (!kept.ok() || kept->duplicate) {
                 if (reply_allowed) broker_.Forget(id);
                 if (kept.ok()) {
                   Log(LogLevel::kInfo, "callback_repeat",
                       {{"appid", account.appid}, {"msg_type", msg_type}});
                   CountPush(account.appid, kind, "duplicate");
                   return respond(Success());
                 }
                 Log(LogLevel::kError, "callback_not_kept",
                     {{"appid", account.appid}, {"reason", kept.status().message()}});
                 CountPush(account.appid, kind, "not_kept");
                 return respond(Text(503, "the push could not be stored; WeChat retries it"));
               }
               CountPush(account.appid, kind, "accepted");
               if (!reply_allowed) return respond(Success());
               if (!kept->awaits_reply) return broker_.NoReplier(id);
               schedule_(account.reply_window, [this, id] { broker_.Expire(id); });
             });
}

CallbackAnswer PushHandler::ReplyAnswer(const Account& account, const std::string& reply_xml,
                                        bool encrypted) const {
  if (!encrypted) return {200, "application/xml; charset=utf-8", reply_xml};
  absl::StatusOr<std::string> sealed = account.envelope.Seal(reply_xml, now_());
  if (!sealed.ok()) {
    // Unreachable: an encrypted push was opened, so the account has its key.
    Log(LogLevel::kError, "callback_reply_unsealed",
        {{"appid", account.appid}, {"reason", sealed.status().message()}});
    return Success();
  }
  return {200, "application/xml; charset=utf-8", *std::move(sealed)};
}

}  // namespace wxgate
