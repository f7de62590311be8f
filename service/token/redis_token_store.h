// RedisTokenStore: the TokenStore that replicas share, on a Redis server.
//
//   RedisClient redis({.host = "10.0.0.5", .port = 6379});
//   RedisTokenStore store(redis, "wxgate:");
//   store.CompareAndSet("wx1/access_token", 3, record, done);   // done on redis's thread
//
// Keys (all under the prefix, so several gateways can share one Redis):
//   <prefix>token:<key>   a hash {v: value, f: fetched_at µs, e: expires_at µs, n: version}
//   <prefix>lease:<key>   the refresh lease: the owner's name, with Redis's own expiry
//   <prefix>quota:<key>   a hash {p: period, used, last: ms}, expiring two days after use
// Compare-and-set, the lease and the quota are each one Lua script, so they
// are atomic across replicas; a lease's time is measured by Redis's clock, which all
// replicas share. Records never expire in Redis: versions of a key only grow.
// When Redis cannot be reached, operations answer UNAVAILABLE at once (RedisClient);
// the token manager then keeps serving what it holds and fetches on its own.
// Does not own `redis`, which must outlive the store and every pending callback.
#ifndef WXGATE_SERVICE_TOKEN_REDIS_TOKEN_STORE_H_
#define WXGATE_SERVICE_TOKEN_REDIS_TOKEN_STORE_H_

#include <string>

#include "service/redis/redis_client.h"
#include "service/token/token_store.h"

namespace wxgate {

class RedisTokenStore : public TokenStore {
 public:
  RedisTokenStore(RedisClient& redis, std::string key_prefix);

  void Get(absl::string_view key, GetDone done) override;
  void CompareAndSet(absl::string_view key, int64_t expected_version, TokenRecord record,
                     CasDone done) override;
  void TryLease(absl::string_view key, absl::string_view owner, absl::Duration ttl,
                LeaseDone done) override;
  void ReleaseLease(absl::string_view key, absl::string_view owner, ReleaseDone done) override;
  void TakeQuota(absl::string_view key, QuotaUse use, QuotaDone done) override;

 private:
  std::string RecordKey(absl::string_view key) const;
  std::string LeaseKey(absl::string_view key) const;

  RedisClient& redis_;
  const std::string prefix_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_REDIS_TOKEN_STORE_H_
