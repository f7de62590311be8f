// MemoryTokenProvider: access tokens fetched from WeChat on first use and cached in
// memory until shortly before they expire. Concurrent misses for one appid share a
// single fetch. (Refresh-ahead, persistence and budgets belong to the token manager.)
#ifndef WXGATE_SERVICE_TOKEN_MEMORY_TOKEN_PROVIDER_H_
#define WXGATE_SERVICE_TOKEN_MEMORY_TOKEN_PROVIDER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/token/access_token_provider.h"
#include "service/upstream/upstream_client.h"

namespace wxgate {

class MemoryTokenProvider : public AccessTokenProvider {
 public:
  // Does not own `upstream`; the caller keeps it alive longer than this provider.
  MemoryTokenProvider(UpstreamClient* upstream, std::string base_url, absl::Duration timeout,
                      std::function<absl::Time()> now = absl::Now);
  // Cancels the fetches in flight and waits for their callbacks (their waiters get
  // CANCELLED), so that no callback outlives the provider.
  ~MemoryTokenProvider() override;

  void GetAccessToken(const Account& account, Done done) override;
  void Invalidate(const Account& account, absl::string_view token) override;

  // Tokens fetched from WeChat so far (all accounts).
  int64_t fetch_count() const;

 private:
  struct Slot {
    std::string token;
    absl::Time usable_until = absl::InfinitePast();
    bool fetching = false;
    std::optional<UpstreamClient::TransferId> fetch;
    std::vector<Done> waiters;
  };

  void Fetch(const Account& account);
  void Deliver(const std::string& appid, absl::StatusOr<std::pair<std::string, absl::Duration>> got);

  UpstreamClient* const upstream_;
  const std::string base_url_;
  const absl::Duration timeout_;
  const std::function<absl::Time()> now_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Slot> slots_ ABSL_GUARDED_BY(mu_);
  int64_t fetch_count_ ABSL_GUARDED_BY(mu_) = 0;
  int fetches_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_MEMORY_TOKEN_PROVIDER_H_
