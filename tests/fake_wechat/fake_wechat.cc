#include "tests/fake_wechat/fake_wechat.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tests/fake_wechat/call_stats.h"
#include "tests/fake_wechat/endpoint_table.h"
#include "tests/fake_wechat/failure_injector.h"
#include "tests/fake_wechat/https_server.h"
#include "tests/fake_wechat/request_router.h"
#include "tests/fake_wechat/token_authority.h"

namespace wxgate::fake {
namespace {

// Debian's Abseil has its own string_view type, not std::string_view.
absl::string_view Absl(std::string_view text) { return {text.data(), text.size()}; }

}  // namespace

// Declared in dependency order: the server, destroyed first, uses everything above it.
struct FakeWeChat::Impl {
  explicit Impl(FakeWeChatOptions options)
      : options(std::move(options)),
        tokens(this->options.share_tokens_with ? this->options.share_tokens_with->impl_->tokens
                                               : std::make_shared<TokenAuthority>()),
        router(tokens.get(), &table, &failures, &stats),
        server({.cert_file = this->options.cert_file,
                .key_file = this->options.key_file,
                .host = this->options.host,
                .port = this->options.port,
                .threads = this->options.threads},
               &router) {}

  const FakeWeChatOptions options;
  std::shared_ptr<TokenAuthority> tokens;  // shared with other fakes of one WeChat
  EndpointTable table;
  FailureInjector failures;
  CallStats stats;
  RequestRouter router;
  HttpsServer server;
};

FakeWeChat::FakeWeChat(FakeWeChatOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

FakeWeChat::~FakeWeChat() { Stop(); }

absl::Status FakeWeChat::Start() {
  auto table = EndpointTable::LoadDir(impl_->options.endpoints_dir);
  if (!table.ok()) return table.status();
  impl_->table = *std::move(table);  // before serving: the router reads it without a lock
  return impl_->server.Start();
}

void FakeWeChat::Stop() { impl_->server.Stop(); }

uint16_t FakeWeChat::port() const { return impl_->server.port(); }

std::string FakeWeChat::base_url() const {
  return absl::StrCat("https://", impl_->options.host, ":", port());
}

void FakeWeChat::AddAccount(std::string appid, std::string secret) {
  impl_->tokens->AddAccount(std::move(appid), std::move(secret));
}

void FakeWeChat::SetRotateRefreshTokens(bool rotate) {
  impl_->tokens->SetRotateRefreshTokens(rotate);
}
void FakeWeChat::SetTokenLifetime(absl::Duration lifetime) { impl_->tokens->SetLifetime(lifetime); }

void FakeWeChat::SetLatency(absl::Duration latency) { impl_->router.SetLatency(latency); }

void FakeWeChat::InjectFailure(std::string path, Failure failure, int times) {
  impl_->failures.Inject(std::move(path), std::move(failure), times);
}

int64_t FakeWeChat::CallCount(std::string_view path) const {
  return impl_->stats.Calls(Absl(path));
}

int64_t FakeWeChat::ConnectionCount() const { return impl_->stats.Connections(); }

void FakeWeChat::ResetCounters() { impl_->stats.Reset(); }

void FakeWeChat::CountBodiesOf(std::string path) { impl_->stats.CountBodiesOf(std::move(path)); }

std::map<std::string, int64_t> FakeWeChat::BodyCounts(std::string_view path) const {
  return impl_->stats.BodyCounts(Absl(path));
}

void FakeWeChat::SetClock(std::function<absl::Time()> now) {
  impl_->tokens->SetClock(std::move(now));
}

std::string FakeWeChat::CurrentAccessToken(std::string_view appid) const {
  return impl_->tokens->Current(Absl(appid));
}

void FakeWeChat::RevokeAccessTokens(std::string_view appid) { impl_->tokens->Revoke(Absl(appid)); }

absl::StatusOr<PushAnswer> FakeWeChat::PushComponentTicket(const PushTarget& target) {
  const std::string ticket = impl_->tokens->IssueComponentTicket(target.appid);
  return PushSender(target).Send(ComponentTicketXml(target.appid, ticket, absl::Now()));
}

absl::StatusOr<PushAnswer> FakeWeChat::PushAuthorization(const PushTarget& target,
                                                         const std::string& authorizer_appid,
                                                         std::vector<int> permission_sets) {
  const std::string code = impl_->tokens->IssueAuthorizationCode(target.appid, authorizer_appid,
                                                                 std::move(permission_sets));
  return PushSender(target).Send(AuthorizedXml(target.appid, authorizer_appid, code, absl::Now()));
}

std::string FakeWeChat::IssueAuthorizationCode(const std::string& component_appid,
                                               const std::string& authorizer_appid,
                                               std::vector<int> permission_sets) {
  return impl_->tokens->IssueAuthorizationCode(component_appid, authorizer_appid,
                                               std::move(permission_sets));
}

absl::StatusOr<PushAnswer> FakeWeChat::PushUnauthorization(const PushTarget& target,
                                                           const std::string& authorizer_appid) {
  impl_->tokens->Unauthorize(target.appid, authorizer_appid);
  return PushSender(target).Send(UnauthorizedXml(target.appid, authorizer_appid, absl::Now()));
}

std::optional<FakeWeChat::Request> FakeWeChat::LastRequest(std::string_view path) const {
  std::optional<HttpRequest> last = impl_->stats.Last(Absl(path));
  if (!last.has_value()) return std::nullopt;
  return Request{std::move(last->method), std::move(last->path), std::move(last->query),
                 std::move(last->body), std::move(last->headers)};
}

}  // namespace wxgate::fake
