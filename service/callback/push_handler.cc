#include "service/callback/push_handler.h"

#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "service/callback/event_id.h"
#include "service/events/component_push_decoder.h"
#include "service/events/push_decoder.h"
#include "service/events/xml_codec.h"
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
// refusal has a reason. The status page counts by that reason, else by result.
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

void SetTime(google::protobuf::Timestamp& out, absl::Time time) {
  const int64_t seconds = absl::ToUnixSeconds(time);
  out.set_seconds(seconds);
  out.set_nanos(
      static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

// Whether a push waiting for its reply was answered, and the task that ends its
// reply window: the reply and the scheduling may come in either order, on two
// threads, and whichever comes second cancels the task.
class ReplyDeadline {
 public:
  // The reply came: the task to cancel, if it was scheduled.
  std::optional<DelayedTasks::TaskId> Answered() {
    std::lock_guard<std::mutex> lock(mu_);
    answered_ = true;
    return task_;
  }
  // The task was scheduled: false when the push was answered already.
  bool Scheduled(const DelayedTasks::TaskId& task) {
    std::lock_guard<std::mutex> lock(mu_);
    task_ = task;
    return !answered_;
  }

 private:
  std::mutex mu_;
  bool answered_ = false;
  std::optional<DelayedTasks::TaskId> task_;
};

// What the broker keeps of a push that waits for a reply: what a reply is addressed
// with and the Reply call's log line names, not the whole push (its XML and payload).
std::shared_ptr<const wechat::mp::v1::Event> WaitingPushOf(const wechat::mp::v1::Event& event) {
  auto waiting = std::make_shared<wechat::mp::v1::Event>();
  waiting->set_appid(event.appid());
  waiting->set_id(event.id());
  waiting->set_to_user_name(event.to_user_name());
  waiting->set_from_user_name(event.from_user_name());
  waiting->set_create_time(event.create_time());
  waiting->set_msg_type(event.msg_type());
  waiting->set_event(event.event());
  waiting->set_traceparent(event.traceparent());
  waiting->set_reply_allowed(event.reply_allowed());
  return waiting;
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
                         PushFreshness freshness, ReplyDeadlines deadlines,
                         std::function<absl::Time()> now)
    : sink_(sink),
      broker_(broker),
      freshness_(freshness),
      deadlines_(std::move(deadlines)),
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

void PushHandler::LogPush(const PushTrace& trace, const PushSummary& push,
                          absl::string_view result) {
  if (!LogEnabled(LogLevel::kDebug)) return;
  const std::string latency =
      absl::StrFormat("%.1f", absl::ToDoubleMilliseconds(absl::Now() - trace.start));
  Log(LogLevel::kDebug, "push",
      {{"request_id", trace.request_id},
       {"trace_id", trace.trace.trace_id},
       {"appid", push.appid},
       {"msg_type", push.msg_type},
       {"wechat_event", push.event},
       {"event_id", push.event_id},
       {"result", result},
       {"latency_ms", latency}});
}

void PushHandler::Refuse(const PushTrace& trace, const std::string& appid, const absl::Status& why,
                         const char* reason, const Respond& respond) {
  Log(LogLevel::kWarning, "callback_refused",
      {{"request_id", trace.request_id},
       {"trace_id", trace.trace.trace_id},
       {"appid", appid},
       {"reason", why.message()}});
  CountPush(appid, "undecoded", "refused", reason);
  LogPush(trace, {.appid = appid}, "refused");
  respond(Refusal(why));
}

absl::Status PushHandler::ServeComponents(std::vector<CallbackComponent> components,
                                          TicketSink tickets, AuthorizationSink authorizations) {
  for (CallbackComponent& component : components) {
    absl::StatusOr<MessageCipher> cipher =
        MessageCipher::Create(component.encoding_aes_key, component.component_appid);
    if (!cipher.ok()) return cipher.status();
    std::string appid = component.component_appid;
    components_.try_emplace(
        std::move(appid),
        Account{.appid = component.component_appid,
                .reply_window = component.reply_window,
                .envelope = CallbackEnvelope(std::move(component.token),
                                             config::v1::CALLBACK_MODE_SAFE, *std::move(cipher))});
  }
  tickets_ = std::move(tickets);
  authorizations_ = std::move(authorizations);
  return absl::OkStatus();
}

void PushHandler::HandleComponent(const CallbackRequest& request, const RequestTarget& target,
                                  const PushTrace& trace, const Respond& respond) const {
  // <component_appid>, or <component_appid>/callback/<authorizer appid>.
  const std::vector<std::string> parts =
      absl::StrSplit(target.path.substr(kComponentPathPrefix.size()), '/');
  const bool authorizer_url = parts.size() == 3 && parts[1] == "callback" && !parts[2].empty();
  const auto component = components_.find(parts[0]);
  if (component == components_.end() || !(parts.size() == 1 || authorizer_url)) {
    return respond(Text(404, "no third-party platform's push URL at this path"));
  }
  if (request.method == "GET") return respond(Verify(component->second, target, trace));
  if (request.method != "POST") return respond(Text(405, "only GET and POST"));
  const std::string& appid = authorizer_url ? parts[2] : component->first;
  CallbackEnvelope::Query query = SignedQueryOf(target);
  // Always encrypted: a push without msg_signature fails its check, never reads as clear.
  query.encrypted = true;
  absl::StatusOr<std::string> plain = component->second.envelope.Open(query, request.body);
  if (!plain.ok()) {
    return Refuse(trace, appid, plain.status(), EnvelopeRefusalReason(plain.status()), respond);
  }
  if (absl::Status fresh = freshness_.Check(query.timestamp, now_()); !fresh.ok()) {
    return Refuse(trace, appid, fresh, "stale", respond);
  }
  if (authorizer_url) return KeepAuthorizerPush(component->second, appid, *plain, trace, respond);
  KeepComponentPush(component->second, *plain, trace, respond);
}

void PushHandler::KeepAuthorizerPush(const Account& component, const std::string& authorizer,
                                     const std::string& plain_xml, const PushTrace& trace,
                                     const Respond& respond) const {
  absl::StatusOr<DecodedPush> decoded = DecodePush(plain_xml);
  if (!decoded.ok()) return Refuse(trace, authorizer, decoded.status(), "malformed", respond);
  if (!IsComponentEvent(decoded->event.msg_type(), decoded->event.event())) {
    // The account's own message or event; a reply is sealed with the component's key.
    return Publish(component, authorizer, *std::move(decoded), /*encrypted=*/true, trace, respond);
  }
  absl::StatusOr<DecodedComponentPush> component_push = DecodeComponentPush(plain_xml);
  if (!component_push.ok()) {
    return Refuse(trace, authorizer, component_push.status(), "malformed", respond);
  }
  wechat::open::v1::ComponentEvent& event = component_push->event;
  event.set_component_appid(component.appid);
  event.set_authorizer_appid(authorizer);
  KeepComponentEvent(std::move(event), component_push->unplaced.size(), trace, respond);
}

void PushHandler::KeepComponentPush(const Account& component, const std::string& plain_xml,
                                    const PushTrace& trace, const Respond& respond) const {
  absl::StatusOr<DecodedComponentPush> decoded = DecodeComponentPush(plain_xml);
  if (!decoded.ok()) return Refuse(trace, component.appid, decoded.status(), "malformed", respond);
  wechat::open::v1::ComponentEvent& event = decoded->event;
  if (event.info_type().empty() || event.component_appid() != component.appid) {
    return Refuse(trace, component.appid,
                  absl::InvalidArgumentError(event.info_type().empty()
                                                 ? "the push has no InfoType"
                                                 : "the push's AppId is not this component's"),
                  "malformed", respond);
  }
  if (event.has_authorized() || event.has_updateauthorized() || event.has_unauthorized()) {
    return KeepAuthorization(std::move(event), decoded->unplaced.size(), trace, respond);
  }
  if (!event.has_component_verify_ticket()) {
    return KeepComponentEvent(std::move(event), decoded->unplaced.size(), trace, respond);
  }
  // The ticket is a credential: kept by the gateway, withheld from subscribers.
  std::string ticket = event.component_verify_ticket().component_verify_ticket();
  if (ticket.empty()) {
    return Refuse(trace, component.appid,
                  absl::InvalidArgumentError("the component_verify_ticket push has no "
                                             "ComponentVerifyTicket"),
                  "malformed", respond);
  }
  event.clear_raw_xml();
  event.mutable_component_verify_ticket()->clear_component_verify_ticket();
  auto published = std::make_shared<wechat::open::v1::ComponentEvent>(std::move(event));
  tickets_(component.appid, std::move(ticket),
           [this, published, trace, respond](absl::Status stored) {
             if (!stored.ok()) {
               // Still held in memory by this process; WeChat sends another in 10 minutes.
               return NotKept(trace, ComponentSummary(*published), stored, respond);
             }
             KeepComponentEvent(std::move(*published), 0, trace, respond);
           });
}

void PushHandler::KeepAuthorization(wechat::open::v1::ComponentEvent event, size_t unplaced,
                                    const PushTrace& trace, const Respond& respond) const {
  auto published = std::make_shared<wechat::open::v1::ComponentEvent>(std::move(event));
  authorizations_(*published, [this, published, unplaced, trace, respond](absl::Status held) {
    if (!held.ok()) return NotKept(trace, ComponentSummary(*published), held, respond);
    // The code is a credential, spent by now: subscribers get neither it nor its XML.
    if (published->has_authorized()) published->mutable_authorized()->clear_authorization_code();
    if (published->has_updateauthorized()) {
      published->mutable_updateauthorized()->clear_authorization_code();
    }
    if (!published->has_unauthorized()) published->clear_raw_xml();
    KeepComponentEvent(std::move(*published), unplaced, trace, respond);
  });
}

PushHandler::PushSummary PushHandler::ComponentSummary(
    const wechat::open::v1::ComponentEvent& event) {
  const bool info = !event.info_type().empty();
  return {.appid = info ? event.component_appid() : event.authorizer_appid(),
          .msg_type = event.msg_type(),
          .event = info ? event.info_type() : event.event(),
          .event_id = event.id(),
          .kind = info ? event.info_type() : event.event()};
}

void PushHandler::KeepComponentEvent(wechat::open::v1::ComponentEvent event, size_t unplaced,
                                     const PushTrace& trace, const Respond& respond) const {
  event.set_id(NewEventId());
  event.set_traceparent(trace.trace.Traceparent());
  SetTime(*event.mutable_received_time(), now_());
  const PushSummary summary = ComponentSummary(event);
  LogUnplaced(trace, summary.appid, summary.msg_type, summary.event, unplaced);
  sink_.Keep(StreamEventOf(std::move(event)), absl::ZeroDuration(),
             [trace, summary, respond](absl::StatusOr<PushSink::Kept> kept) {
               if (AnsweredUnlessNew(kept, trace, summary, respond)) return;
               CountPush(summary.appid, summary.kind, "accepted");
               LogPush(trace, summary, "accepted");
               respond(Success());
             });
}

bool PushHandler::AnsweredUnlessNew(const absl::StatusOr<PushSink::Kept>& kept,
                                    const PushTrace& trace, const PushSummary& summary,
                                    const Respond& respond) {
  if (!kept.ok()) {
    NotKept(trace, summary, kept.status(), respond);
    return true;
  }
  if (!kept->duplicate) return false;
  Log(LogLevel::kInfo, "callback_repeat",
      {{"request_id", trace.request_id},
       {"trace_id", trace.trace.trace_id},
       {"appid", summary.appid},
       {"msg_type", summary.msg_type}});
  CountPush(summary.appid, summary.kind, "duplicate");
  LogPush(trace, summary, "repeat");
  respond(Success());
  return true;
}

void PushHandler::NotKept(const PushTrace& trace, const PushSummary& summary,
                          const absl::Status& why, const Respond& respond) {
  Log(LogLevel::kError, "callback_not_kept",
      {{"request_id", trace.request_id},
       {"trace_id", trace.trace.trace_id},
       {"appid", summary.appid},
       {"reason", why.message()}});
  CountPush(summary.appid, summary.kind, "not_kept");
  LogPush(trace, summary, "not_kept");
  respond(Text(503, "the push could not be stored; WeChat retries it"));
}

void PushHandler::LogUnplaced(const PushTrace& trace, const std::string& appid,
                              const std::string& msg_type, const std::string& event, size_t count) {
  if (count == 0) return;
  // Only the count: the values are user content. raw_xml carries them to subscribers.
  Log(LogLevel::kWarning, "callback_unplaced_elements",
      {{"request_id", trace.request_id},
       {"trace_id", trace.trace.trace_id},
       {"appid", appid},
       {"msg_type", msg_type},
       {"wechat_event", event},
       {"count", absl::StrCat(count)}});
}

void PushHandler::Handle(const CallbackRequest& request, Respond respond) const {
  const RequestTarget target = ParseRequestTarget(request.target);
  if (absl::StartsWith(target.path, kComponentPathPrefix)) {
    return HandleComponent(request, target,
                           {.trace = ContinueTrace(request.Header("traceparent")),
                            .request_id = request.request_id,
                            .start = absl::Now()},
                           respond);
  }
  if (!absl::StartsWith(target.path, kCallbackPathPrefix)) {
    return respond(Text(404, "not a callback path; WeChat's URL is /wechat/callback/<appid>"));
  }
  const auto account = accounts_.find(target.path.substr(kCallbackPathPrefix.size()));
  if (account == accounts_.end()) {
    return respond(Text(404, "no account with callbacks at this path"));
  }
  const PushTrace trace{.trace = ContinueTrace(request.Header("traceparent")),
                        .request_id = request.request_id,
                        .start = absl::Now()};
  if (request.method == "GET") return respond(Verify(account->second, target, trace));
  if (request.method != "POST") return respond(Text(405, "only GET and POST"));

  const CallbackEnvelope::Query query = SignedQueryOf(target);
  absl::StatusOr<std::string> plain = account->second.envelope.Open(query, request.body);
  if (!plain.ok()) {
    return Refuse(trace, account->first, plain.status(), EnvelopeRefusalReason(plain.status()),
                  respond);
  }
  // Checked once the signature holds: the timestamp is WeChat's only then.
  if (absl::Status fresh = freshness_.Check(query.timestamp, now_()); !fresh.ok()) {
    return Refuse(trace, account->first, fresh, "stale", respond);
  }
  absl::StatusOr<DecodedPush> decoded = DecodePush(*plain);
  if (!decoded.ok()) return Refuse(trace, account->first, decoded.status(), "malformed", respond);
  Publish(account->second, account->first, *std::move(decoded), query.encrypted, trace, respond);
}

CallbackAnswer PushHandler::Verify(const Account& account, const RequestTarget& target,
                                   const PushTrace& trace) const {
  if (!account.envelope.Verify(SignedQueryOf(target)).ok()) {
    Log(LogLevel::kWarning, "callback_refused",
        {{"request_id", trace.request_id},
         {"trace_id", trace.trace.trace_id},
         {"appid", account.appid},
         {"reason", "bad verification signature"}});
    return Text(403, "signature does not match");
  }
  return Text(200, target.Param("echostr"));
}

void PushHandler::Publish(const Account& account, const std::string& appid, DecodedPush decoded,
                          bool encrypted, const PushTrace& trace, const Respond& respond) const {
  StreamEvent stream_event;
  wechat::mp::v1::Event& event = *stream_event.mutable_event();
  event = std::move(decoded.event);
  event.set_appid(appid);
  event.set_id(NewEventId());
  event.set_traceparent(trace.trace.Traceparent());
  SetTime(*event.mutable_received_time(), now_());
  LogUnplaced(trace, appid, event.msg_type(), event.event(), decoded.unplaced.size());
  const std::string id = event.id();
  const bool reply_allowed = event.reply_allowed();
  PushSummary summary{.appid = appid,
                      .msg_type = event.msg_type(),
                      .event = event.event(),
                      .event_id = id,
                      .kind = PayloadName(event)};
  // Awaited before it is kept: on another replica a subscriber may reply at once.
  std::shared_ptr<ReplyDeadline> deadline;
  if (reply_allowed) {
    deadline = std::make_shared<ReplyDeadline>();
    broker_.Await(WaitingPushOf(event), [this, &account, encrypted, trace, summary, respond,
                                         deadline](std::optional<std::string> reply_xml) {
      // Answered: the window's end has nothing left to do.
      if (std::optional<DelayedTasks::TaskId> task = deadline->Answered()) {
        deadlines_.cancel(*task);
      }
      LogPush(trace, summary, reply_xml ? "replied" : "no_reply");
      respond(reply_xml ? ReplyAnswer(account, *reply_xml, encrypted) : Success());
    });
  }
  sink_.Keep(std::move(stream_event), reply_allowed ? account.reply_window : absl::ZeroDuration(),
             [this, &account, id, reply_allowed, trace, summary = std::move(summary), respond,
              deadline = std::move(deadline)](absl::StatusOr<PushSink::Kept> kept) {
               if (!kept.ok() || kept->duplicate) {
                 if (reply_allowed) broker_.Forget(id);
                 AnsweredUnlessNew(kept, trace, summary, respond);
                 return;
               }
               CountPush(summary.appid, summary.kind, "accepted");
               if (!reply_allowed) {
                 LogPush(trace, summary, "accepted");
                 return respond(Success());
               }
               if (!kept->awaits_reply) return broker_.NoReplier(id);
               const DelayedTasks::TaskId task =
                   deadlines_.schedule(account.reply_window, [this, id] { broker_.Expire(id); });
               // A reply that came first leaves the task to cancel here.
               if (!deadline->Scheduled(task)) deadlines_.cancel(task);
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
