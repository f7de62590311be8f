#include "service/server/status_report.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <utility>

#include "auth/caller_authorizer.h"
#include "service/server/token_state_proto.h"
#include "service/token/permission_sets.h"

namespace wxgate {
namespace {

using google::protobuf::util::TimeUtil;

// How many errcodes an upstream line lists.
constexpr size_t kTopErrcodes = 5;
// How many events the answer lists (and the hub keeps, by default).
constexpr size_t kLatestEvents = 50;

google::protobuf::Duration ToDuration(absl::Duration d) {
  if (d == absl::InfiniteDuration()) d = LatencyHistogram::kBounds.back();
  return TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(d));
}

const char* ServiceOfRaw() { return "wxgate.v1.RawService"; }

}  // namespace

std::vector<std::string> StatusReport::Appids() const {
  std::vector<std::string> appids;
  for (const Account* account : sources_.accounts) appids.push_back(account->appid);
  for (const Account* component : sources_.components) appids.push_back(component->appid);
  appids.emplace_back(kAllAppids);
  return appids;
}

v1::GetStatusResponse StatusReport::Build(const MaySee& may_see) const {
  v1::GetStatusResponse status;
  const absl::Time now = sources_.now();
  v1::GatewayInfo& gateway = *status.mutable_gateway();
  gateway.set_version(sources_.version);
  gateway.set_replica(sources_.replica);
  *gateway.mutable_started_time() = ToTimestamp(sources_.started);
  *gateway.mutable_uptime() = ToDuration(now - sources_.started);
  *gateway.mutable_generated_time() = ToTimestamp(now);
  if (sources_.upstream_base_url) gateway.set_upstream_base_url(sources_.upstream_base_url());
  AddAccounts(may_see, status);
  AddComponents(may_see, status);
  if (sources_.activity != nullptr) {
    *status.mutable_window() = ToDuration(sources_.activity->window());
    AddUpstream(status);
    AddCallbacks(may_see, status);
  }
  if (sources_.hub != nullptr) {
    AddSubscribers(may_see, status);
    AddLatestEvents(may_see, status);
  }
  return status;
}

void StatusReport::AddAccounts(const MaySee& may_see, v1::GetStatusResponse& status) const {
  for (const Account* account : sources_.accounts) {
    if (!may_see(account->appid)) continue;
    v1::AccountStatus& out = *status.add_accounts();
    out.set_appid(account->appid);
    out.set_name(account->name);
    AddTokens(*account, *out.mutable_tokens());
  }
}

void StatusReport::AddTokens(const Account& account,
                             google::protobuf::RepeatedPtrField<v1::TokenState>& out) const {
  for (v1::TokenKind kind :
       {v1::TOKEN_KIND_ACCESS_TOKEN, v1::TOKEN_KIND_JSAPI_TICKET, v1::TOKEN_KIND_WX_CARD_TICKET}) {
    const TokenState state = sources_.token_state(account, KindOf(kind));
    // Tickets only once asked for: most accounts never use them.
    if (kind != v1::TOKEN_KIND_ACCESS_TOKEN && state.fetches + state.failed_fetches == 0) {
      continue;
    }
    *out.Add() = TokenStateProto(kind, state);
  }
}

void StatusReport::AddComponents(const MaySee& may_see, v1::GetStatusResponse& status) const {
  std::vector<const Account*> components = sources_.components;
  std::sort(components.begin(), components.end(),
            [](const Account* a, const Account* b) { return a->appid < b->appid; });
  for (const Account* component : components) {
    if (!may_see(component->appid)) continue;
    v1::ComponentStatus& out = *status.add_components();
    out.set_component_appid(component->appid);
    out.set_name(component->name);
    // The ticket's state says when it came, never what it is.
    const TokenState ticket = sources_.token_state(*component, TokenKind::kComponentVerifyTicket);
    out.set_ticket_known(ticket.valid);
    if (ticket.valid) *out.mutable_ticket_received_time() = ToTimestamp(ticket.fetched_at);
    *out.mutable_component_access_token() =
        TokenStateProto(v1::TOKEN_KIND_COMPONENT_ACCESS_TOKEN,
                        sources_.token_state(*component, TokenKind::kComponentAccessToken));
    if (!sources_.authorizers) continue;
    const AuthorizerDirectory::Listing listing =
        sources_.authorizers(*component, sources_.max_listed_authorizers);
    out.set_authorizer_count(static_cast<int64_t>(listing.total));
    for (const Account* authorizer : listing.first) {
      AddAuthorizer(*authorizer, *out.add_authorizers());
    }
  }
}

void StatusReport::AddAuthorizer(const Account& authorizer, v1::AuthorizerStatus& out) const {
  out.set_appid(authorizer.appid);
  const SeenGrant seen = sources_.grant ? sources_.grant(authorizer) : SeenGrant();
  if (!seen.seen) {
    out.set_grant(v1::GRANT_STATE_UNSPECIFIED);
  } else if (!seen.grant.has_value()) {
    out.set_grant(v1::GRANT_STATE_NONE);
  } else if (seen.grant->revoked) {
    out.set_grant(v1::GRANT_STATE_REVOKED);
  } else {
    out.set_grant(v1::GRANT_STATE_AUTHORIZED);
    for (int id : seen.grant->permission_sets) {
      v1::PermissionSet& set = *out.add_permission_sets();
      set.set_id(id);
      set.set_name(PermissionSetName(id));
    }
  }
  AddTokens(authorizer, *out.mutable_tokens());
}

void StatusReport::AddUpstream(v1::GetStatusResponse& status) const {
  std::map<std::string, RecentActivity::UpstreamTotals> by_service;
  for (const auto& [endpoint, totals] : sources_.activity->Upstream()) {
    auto known = sources_.service_of.find(endpoint);
    const std::string service = endpoint == "raw"                    ? ServiceOfRaw()
                                : known != sources_.service_of.end() ? known->second
                                                                     : endpoint;
    RecentActivity::UpstreamTotals& sum = by_service[service];
    sum.calls += totals.calls;
    sum.errors += totals.errors;
    for (const auto& [errcode, n] : totals.errcodes) sum.errcodes[errcode] += n;
    sum.latency.Merge(totals.latency);
  }
  for (const auto& [service, totals] : by_service) {
    v1::UpstreamStatus& out = *status.add_upstream();
    out.set_service(service);
    out.set_calls(totals.calls);
    out.set_errors(totals.errors);
    out.set_error_rate(totals.calls == 0 ? 0 : double(totals.errors) / double(totals.calls));
    *out.mutable_p50_latency() = ToDuration(totals.latency.Quantile(0.5));
    *out.mutable_p99_latency() = ToDuration(totals.latency.Quantile(0.99));
    std::vector<std::pair<std::string, int64_t>> errcodes(totals.errcodes.begin(),
                                                          totals.errcodes.end());
    std::stable_sort(errcodes.begin(), errcodes.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (size_t i = 0; i < errcodes.size() && i < kTopErrcodes; ++i) {
      v1::ErrcodeCount& top = *out.add_top_errcodes();
      top.set_errcode(errcodes[i].first);
      top.set_calls(errcodes[i].second);
    }
  }
}

void StatusReport::AddCallbacks(const MaySee& may_see, v1::GetStatusResponse& status) const {
  for (const auto& [appid, results] : sources_.activity->Pushes()) {
    if (!may_see(appid)) continue;
    v1::CallbackTraffic& out = *status.add_callbacks();
    out.set_appid(appid);
    for (const auto& [result, n] : results) {
      if (result == "accepted") {
        out.set_accepted(n);
      } else if (result == "duplicate") {
        out.set_duplicate(n);
      } else if (result == "not_kept") {
        out.set_not_kept(n);
      } else {  // a refusal, by its reason
        (*out.mutable_refused())[result] = n;
      }
    }
  }
}

void StatusReport::AddSubscribers(const MaySee& may_see, v1::GetStatusResponse& status) const {
  for (EventHub::SubscriberInfo& subscriber : sources_.hub->Subscribers()) {
    const auto& appids = subscriber.filter.appids();
    const bool visible =
        appids.empty() ? may_see(kAllAppids) : std::all_of(appids.begin(), appids.end(), may_see);
    if (!visible) continue;
    v1::SubscriberStatus& out = *status.add_subscribers();
    out.set_caller(std::move(subscriber.caller));
    *out.mutable_filter() = std::move(subscriber.filter);
    out.set_group(std::move(subscriber.group));
    out.set_lag(static_cast<int64_t>(subscriber.lag));
    out.set_replica(sources_.replica);  // the hub lists this replica's streams
    *out.mutable_since_time() = ToTimestamp(subscriber.since);
    out.set_replies(subscriber.replies);
  }
}

void StatusReport::AddLatestEvents(const MaySee& may_see, v1::GetStatusResponse& status) const {
  for (const EventHub::EventPtr& latest : sources_.hub->Latest(kLatestEvents)) {
    if (!may_see(AppidOf(*latest))) continue;
    v1::EventSummary& out = *status.add_latest_events();
    out.set_id(IdOf(*latest));
    out.set_cursor(CursorOf(*latest));
    out.set_appid(AppidOf(*latest));
    if (latest->has_component_event()) {
      const wechat::open::v1::ComponentEvent& event = latest->component_event();
      out.set_msg_type(event.msg_type());
      out.set_event(event.event());
      out.set_info_type(event.info_type());
      *out.mutable_received_time() = event.received_time();
    } else {
      const wechat::mp::v1::Event& event = latest->event();
      out.set_msg_type(event.msg_type());
      out.set_event(event.event());
      *out.mutable_received_time() = event.received_time();
    }
  }
}

}  // namespace wxgate
