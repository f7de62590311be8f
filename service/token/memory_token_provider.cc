#include "service/token/memory_token_provider.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "service/errors/error_info.h"
#include "service/transcode/answer_parser.h"
#include "service/transcode/request_builder.h"

namespace wxgate {
namespace {

// WeChat renews stable tokens 5 minutes before expiry; stop using ours a bit earlier.
constexpr absl::Duration kExpiryMargin = absl::Minutes(6);

HttpRequest TokenRequest(const Account& account, const std::string& base_url,
                         absl::Duration timeout) {
  HttpRequest request;
  request.timeout = timeout;
  if (account.token_api == config::v1::TOKEN_API_CLASSIC) {
    request.url = absl::StrCat(base_url, "/cgi-bin/token?grant_type=client_credential&appid=",
                               EscapeQueryComponent(account.appid),
                               "&secret=", EscapeQueryComponent(account.secret));
    return request;
  }
  request.method = "POST";
  request.url = absl::StrCat(base_url, "/cgi-bin/stable_token");
  request.content_type = "application/json; charset=utf-8";
  request.body = nlohmann::json{{"grant_type", "client_credential"},
                                {"appid", account.appid},
                                {"secret", account.secret}}
                     .dump();
  return request;
}

}  // namespace

MemoryTokenProvider::MemoryTokenProvider(UpstreamClient* upstream, std::string base_url,
                                         absl::Duration timeout, std::function<absl::Time()> now)
    : upstream_(upstream), base_url_(std::move(base_url)), timeout_(timeout), now_(std::move(now)) {}

MemoryTokenProvider::~MemoryTokenProvider() {
  absl::MutexLock lock(&mu_);
  for (const auto& [appid, slot] : slots_) {
    if (slot.fetch) upstream_->Cancel(*slot.fetch);
  }
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &fetches_in_flight_));
}

void MemoryTokenProvider::GetAccessToken(const Account& account, Done done) {
  std::string cached;
  {
    absl::MutexLock lock(&mu_);
    Slot& slot = slots_[account.appid];
    if (!slot.token.empty() && now_() < slot.usable_until) {
      cached = slot.token;
    } else {
      slot.waiters.push_back(std::move(done));
      if (slot.fetching) return;
      slot.fetching = true;
      ++fetch_count_;
      ++fetches_in_flight_;
    }
  }
  if (!cached.empty()) {
    std::move(done)(std::move(cached));
    return;
  }
  Fetch(account);
}

void MemoryTokenProvider::Fetch(const Account& account) {
  UpstreamClient::TransferId id = upstream_->Send(
      TokenRequest(account, base_url_, timeout_),
      [this, appid = account.appid](absl::StatusOr<HttpResponse> answer) {
        if (!answer.ok()) return Deliver(appid, answer.status());
        absl::StatusOr<nlohmann::json> json = ParseAnswerJson(*answer);
        if (!json.ok()) return Deliver(appid, json.status());
        auto token = json->find("access_token");
        auto expires_in = json->find("expires_in");
        if (token == json->end() || !token->is_string() || token->get<std::string>().empty() ||
            expires_in == json->end() || !expires_in->is_number_integer()) {
          return Deliver(appid, GatewayError(absl::StatusCode::kInternal, "UPSTREAM_SCHEMA",
                                             "token answer lacks access_token or expires_in"));
        }
        Deliver(appid, std::make_pair(token->get<std::string>(),
                                      absl::Seconds(expires_in->get<int64_t>())));
      });
  absl::MutexLock lock(&mu_);
  Slot& slot = slots_[account.appid];
  if (slot.fetching) slot.fetch = id;  // not if the fetch already ended
}

void MemoryTokenProvider::Deliver(
    const std::string& appid, absl::StatusOr<std::pair<std::string, absl::Duration>> got) {
  std::vector<Done> waiters;
  {
    absl::MutexLock lock(&mu_);
    Slot& slot = slots_[appid];
    slot.fetching = false;
    slot.fetch.reset();
    waiters.swap(slot.waiters);
    if (got.ok()) {
      slot.token = got->first;
      slot.usable_until = now_() + std::max(got->second - kExpiryMargin, got->second / 2);
    }
  }
  for (Done& done : waiters) {
    if (got.ok()) {
      std::move(done)(got->first);
    } else {
      std::move(done)(got.status());
    }
  }
  absl::MutexLock lock(&mu_);
  --fetches_in_flight_;  // last: the destructor may proceed once this drops to 0
}

void MemoryTokenProvider::Invalidate(const Account& account, absl::string_view token) {
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(account.appid);
  if (it != slots_.end() && it->second.token == token) {
    it->second.token.clear();
    it->second.usable_until = absl::InfinitePast();
  }
}

int64_t MemoryTokenProvider::fetch_count() const {
  absl::MutexLock lock(&mu_);
  return fetch_count_;
}

}  // namespace wxgate
