#include "service/token/redis_token_store.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace wxgate {
namespace {

// KEYS[1] record; ARGV expected version, value, fetched_at µs, expires_at µs.
// Returns {1, new version} when stored, else {0, [v, f, e, n]} (the current record).
constexpr char kCompareAndSet[] = R"lua(
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n ~= tonumber(ARGV[1]) then
  return {0, redis.call('HMGET', KEYS[1], 'v', 'f', 'e', 'n')}
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'f', ARGV[3], 'e', ARGV[4], 'n', n + 1)
return {1, n + 1}
)lua";

// KEYS[1] lease; ARGV owner, ttl ms. 1: taken or renewed; 0: another owner holds it.
constexpr char kTryLease[] = R"lua(
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
)lua";

// KEYS[1] lease; ARGV owner.
constexpr char kReleaseLease[] = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
)lua";

// KEYS[1] quota hash {p: period, used, last: ms}; ARGV period, limit, spacing ms, now ms.
// Returns {verdict (1 taken, 2 spent, 3 too soon), uses in the period}. The hash
// outlives a day's period by a day, so yesterday's last use still spaces today's first.
constexpr char kTakeQuota[] = R"lua(
local used = 0
if redis.call('HGET', KEYS[1], 'p') == ARGV[1] then
  used = tonumber(redis.call('HGET', KEYS[1], 'used'))
end
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '-1e18')
if used >= tonumber(ARGV[2]) then return {2, used} end
if tonumber(ARGV[4]) - last < tonumber(ARGV[3]) then return {3, used} end
redis.call('HSET', KEYS[1], 'p', ARGV[1], 'used', used + 1, 'last', ARGV[4])
redis.call('EXPIRE', KEYS[1], 172800)
return {1, used + 1}
)lua";

absl::Status Malformed(absl::string_view what) {
  return absl::InternalError(absl::StrCat("Redis holds a malformed token record: ", what));
}

// [v, f, e, n] as HMGET answers them: nullopt when the record does not exist.
absl::StatusOr<std::optional<TokenRecord>> RecordOf(const RedisReply& fields) {
  if (fields.type != RedisReply::Type::kArray || fields.elements.size() != 4) {
    return Malformed("not four fields");
  }
  if (fields.elements[3].is_nil()) return std::nullopt;
  std::optional<int64_t> fetched = fields.elements[1].AsInteger();
  std::optional<int64_t> expires = fields.elements[2].AsInteger();
  std::optional<int64_t> version = fields.elements[3].AsInteger();
  if (!fetched || !expires || !version || *version < 1 ||
      fields.elements[0].type != RedisReply::Type::kString) {
    return Malformed("a field is missing or not a number");
  }
  return TokenRecord{.value = fields.elements[0].str,
                     .fetched_at = absl::FromUnixMicros(*fetched),
                     .expires_at = absl::FromUnixMicros(*expires),
                     .version = *version};
}

std::vector<std::string> Eval(const char* script, std::string key,
                              std::initializer_list<std::string> args) {
  std::vector<std::string> command = {"EVAL", script, "1", std::move(key)};
  command.insert(command.end(), args);
  return command;
}

}  // namespace

RedisTokenStore::RedisTokenStore(RedisClient& redis, std::string key_prefix)
    : redis_(redis), prefix_(std::move(key_prefix)) {}

std::string RedisTokenStore::RecordKey(absl::string_view key) const {
  return absl::StrCat(prefix_, "token:", key);
}

std::string RedisTokenStore::LeaseKey(absl::string_view key) const {
  return absl::StrCat(prefix_, "lease:", key);
}

void RedisTokenStore::Get(absl::string_view key, GetDone done) {
  redis_.Command({"HMGET", RecordKey(key), "v", "f", "e", "n"},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return std::move(done)(reply.status());
                   std::move(done)(RecordOf(*reply));
                 });
}

void RedisTokenStore::CompareAndSet(absl::string_view key, int64_t expected_version,
                                    TokenRecord record, CasDone done) {
  std::vector<std::string> command = Eval(kCompareAndSet, RecordKey(key),
                                          {absl::StrCat(expected_version), record.value,
                                           absl::StrCat(absl::ToUnixMicros(record.fetched_at)),
                                           absl::StrCat(absl::ToUnixMicros(record.expires_at))});
  redis_.Command(std::move(command), [record = std::move(record), done = std::move(done)](
                                         absl::StatusOr<RedisReply> reply) mutable {
    if (!reply.ok()) return std::move(done)(reply.status());
    if (reply->type != RedisReply::Type::kArray || reply->elements.size() != 2) {
      return std::move(done)(Malformed("unexpected answer to compare-and-set"));
    }
    if (reply->elements[0].AsInteger() == 1) {
      std::optional<int64_t> version = reply->elements[1].AsInteger();
      if (!version) return std::move(done)(Malformed("no version"));
      record.version = *version;
      return std::move(done)(CasOutcome{.stored = true, .current = std::move(record)});
    }
    absl::StatusOr<std::optional<TokenRecord>> current = RecordOf(reply->elements[1]);
    if (!current.ok()) return std::move(done)(current.status());
    std::move(done)(CasOutcome{.stored = false, .current = *std::move(current)});
  });
}

void RedisTokenStore::TryLease(absl::string_view key, absl::string_view owner, absl::Duration ttl,
                               LeaseDone done) {
  redis_.Command(Eval(kTryLease, LeaseKey(key),
                      {std::string(owner), absl::StrCat(absl::ToInt64Milliseconds(ttl))}),
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return std::move(done)(reply.status());
                   std::move(done)(reply->AsInteger() == 1);
                 });
}

void RedisTokenStore::ReleaseLease(absl::string_view key, absl::string_view owner,
                                   ReleaseDone done) {
  redis_.Command(Eval(kReleaseLease, LeaseKey(key), {std::string(owner)}),
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   std::move(done)(reply.status());
                 });
}

void RedisTokenStore::TakeQuota(absl::string_view key, QuotaUse use, QuotaDone done) {
  redis_.Command(
      Eval(kTakeQuota, absl::StrCat(prefix_, "quota:", key),
           {absl::StrCat(use.period), absl::StrCat(use.limit),
            absl::StrCat(absl::ToInt64Milliseconds(use.spacing)),
            absl::StrCat(absl::ToUnixMillis(use.now))}),
      [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return std::move(done)(reply.status());
        std::optional<int64_t> verdict, used;
        if (reply->type == RedisReply::Type::kArray && reply->elements.size() == 2) {
          verdict = reply->elements[0].AsInteger();
          used = reply->elements[1].AsInteger();
        }
        if (!verdict || !used || *verdict < 1 || *verdict > 3) {
          return std::move(done)(absl::InternalError("Redis gave an unexpected quota answer"));
        }
        constexpr QuotaOutcome::Verdict kVerdicts[] = {QuotaOutcome::Verdict::kTaken,
                                                       QuotaOutcome::Verdict::kSpent,
                                                       QuotaOutcome::Verdict::kTooSoon};
        std::move(done)(
            QuotaOutcome{.verdict = kVerdicts[*verdict - 1], .used = static_cast<int>(*used)});
      });
}

}  // namespace wxgate
