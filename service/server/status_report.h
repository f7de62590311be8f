// StatusReport: the gateway's status (wxgate.v1.GetStatusResponse) read from its
// parts now, cut to what one caller may see. AdminService/GetStatus and the admin
// listener's /status.json both answer with it.
//
//   StatusReport report({.version = "0.3.0", .replica = "host/42/ab", .started = t0,
//                        .accounts = {&wx1, &wx2}, .token_state = ..., .hub = &hub,
//                        .activity = &GlobalRecentActivity(),
//                        .service_of = {{"/cgi-bin/user/info", "wechat.mp.v1.UserService"}}});
//   report.Build([](absl::string_view appid) { return appid == "wx1"; })
//     -> gateway {version, replica, started, uptime}, accounts [wx1 with its tokens],
//        upstream [wechat.mp.v1.UserService: calls, errors, p50, p99, top errcodes],
//        callbacks [wx1], subscribers [those whose filter names only wx1],
//        latest_events [wx1's]
//
// A third-party platform (Sources::components) is shown to a caller allowed its
// component_appid (or kAllAppids), with its ticket's arrival (never the ticket),
// its component_access_token and the first `max_listed_authorizers` authorizers
// this replica tracks (grant, permission sets, tokens), plus how many there are.
//
// A subscriber without an appid filter (every account) is shown only to a caller
// allowed kAllAppids. Upstream traffic is not by account: every caller sees it.
// Thread-safe; does not own what Sources points to.
#ifndef WXGATE_SERVICE_SERVER_STATUS_REPORT_H_
#define WXGATE_SERVICE_SERVER_STATUS_REPORT_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/call/authorizer_directory.h"
#include "service/events/event_hub.h"
#include "service/observe/recent_activity.h"
#include "service/token/account.h"
#include "service/token/token_kind.h"
#include "service/token/token_manager.h"
#include "wxgate/v1/admin.pb.h"

namespace wxgate {

class StatusReport {
 public:
  struct Sources {
    std::string version;
    std::string replica;
    absl::Time started;
    std::vector<const Account*> accounts;
    std::function<TokenState(const Account&, TokenKind)> token_state;
    const EventHub* hub = nullptr;
    const RecentActivity* activity = nullptr;
    // Endpoint path -> the gRPC service whose calls go there ("raw": RawService).
    std::map<std::string, std::string> service_of;
    std::function<absl::Time()> now = absl::Now;
    // The third-party platforms; their authorizers (the first `max` and how many);
    // an authorizer's grant as last seen, without its refresh token.
    std::vector<const Account*> components;
    std::function<AuthorizerDirectory::Listing(const Account& component, size_t max)> authorizers;
    std::function<SeenGrant(const Account& authorizer)> grant;
    size_t max_listed_authorizers = 100;
    // The WeChat domain calls go to now (DomainSelector::current); unset: not shown.
    std::function<std::string()> upstream_base_url;
  };
  // Whether the caller may see this appid (kAllAppids: every account).
  using MaySee = std::function<bool(absl::string_view appid)>;

  explicit StatusReport(Sources sources) : sources_(std::move(sources)) {}

  v1::GetStatusResponse Build(const MaySee& may_see) const;

  // The appids a caller is asked about: every account's, every component's, then
  // kAllAppids.
  std::vector<std::string> Appids() const;

 private:
  void AddAccounts(const MaySee& may_see, v1::GetStatusResponse& status) const;
  void AddComponents(const MaySee& may_see, v1::GetStatusResponse& status) const;
  void AddAuthorizer(const Account& authorizer, v1::AuthorizerStatus& out) const;
  // The access_token always, a ticket once fetched (or failed).
  void AddTokens(const Account& account,
                 google::protobuf::RepeatedPtrField<v1::TokenState>& out) const;
  void AddUpstream(v1::GetStatusResponse& status) const;
  void AddCallbacks(const MaySee& may_see, v1::GetStatusResponse& status) const;
  void AddSubscribers(const MaySee& may_see, v1::GetStatusResponse& status) const;
  void AddLatestEvents(const MaySee& may_see, v1::GetStatusResponse& status) const;

  const Sources sources_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_STATUS_REPORT_H_
