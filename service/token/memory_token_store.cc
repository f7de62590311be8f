#include "service/token/memory_token_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "service/observe/log.h"

namespace wxgate {
namespace {

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string temp = absl::StrCat(path, ".tmp");
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("tokens.state_file: cannot write ", temp, ": ", std::strerror(errno)));
  }
  fchmod(fd, 0600);  // also when the file existed with looser permissions
  const char* data = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t written = write(fd, data, left);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      close(fd);
      return absl::UnavailableError(
          absl::StrCat("tokens.state_file: cannot write ", temp, ": ", std::strerror(errno)));
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
  fsync(fd);
  close(fd);
  if (rename(temp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("tokens.state_file: cannot replace ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string ToJson(const MemoryTokenStore::State& state) {
  nlohmann::json tokens = nlohmann::json::object();
  for (const auto& [key, record] : state.records) {
    tokens[key] = {{"value", record.value},
                   {"fetched_at_ms", absl::ToUnixMillis(record.fetched_at)},
                   {"expires_at_ms", absl::ToUnixMillis(record.expires_at)},
                   {"version", record.version}};
  }
  nlohmann::json quotas = nlohmann::json::object();
  for (const auto& [key, quota] : state.quotas) {
    quotas[key] = {{"period", quota.period},
                   {"used", quota.used},
                   {"last_ms", absl::ToUnixMillis(quota.last)}};
  }
  return nlohmann::json{{"tokens", tokens}, {"quotas", quotas}}.dump();
}

// Whether each of `names` holds an integer within int64_t (an unsigned one beyond it
// would wrap around to a negative number).
bool HasIntegers(const nlohmann::json& entry, std::initializer_list<const char*> names) {
  if (!entry.is_object()) return false;
  for (const char* name : names) {
    if (!entry.contains(name) || !entry[name].is_number_integer()) return false;
    if (entry[name].is_number_unsigned() &&
        entry[name].get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}) {
      return false;
    }
  }
  return true;
}

// The state file's JSON, or nullopt if it is not one. Files written before quotas
// existed hold the token records alone, at the top level.
std::optional<MemoryTokenStore::State> FromJson(const nlohmann::json& json) {
  if (!json.is_object()) return std::nullopt;
  const bool versioned = json.contains("tokens");
  const nlohmann::json& tokens = versioned ? json["tokens"] : json;
  const nlohmann::json quotas =
      versioned && json.contains("quotas") ? json["quotas"] : nlohmann::json::object();
  if (!tokens.is_object() || !quotas.is_object()) return std::nullopt;
  MemoryTokenStore::State state;
  for (auto it = tokens.begin(); it != tokens.end(); ++it) {
    const nlohmann::json& entry = it.value();
    if (!HasIntegers(entry, {"expires_at_ms", "fetched_at_ms", "version"}) ||
        !entry.contains("value") || !entry["value"].is_string()) {
      return std::nullopt;
    }
    state.records[it.key()] = {
        .value = entry["value"].get<std::string>(),
        .fetched_at = absl::FromUnixMillis(entry["fetched_at_ms"].get<int64_t>()),
        .expires_at = absl::FromUnixMillis(entry["expires_at_ms"].get<int64_t>()),
        .version = entry["version"].get<int64_t>()};
  }
  for (auto it = quotas.begin(); it != quotas.end(); ++it) {
    const nlohmann::json& entry = it.value();
    if (!HasIntegers(entry, {"period", "used", "last_ms"})) return std::nullopt;
    // Quota::used is an int: a larger count would be cut to its low bits.
    const int64_t used = entry["used"].get<int64_t>();
    if (used < 0 || used > std::numeric_limits<int>::max()) return std::nullopt;
    state.quotas[it.key()] = {.period = entry["period"].get<int64_t>(),
                              .used = static_cast<int>(used),
                              .last = absl::FromUnixMillis(entry["last_ms"].get<int64_t>())};
  }
  return state;
}

}  // namespace

std::optional<MemoryTokenStore::State> MemoryTokenStore::ParseState(absl::string_view text) {
  return FromJson(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false));
}

std::string MemoryTokenStore::SerializeState(const State& state) { return ToJson(state); }

MemoryTokenStore::MemoryTokenStore(std::string state_file, std::function<absl::Time()> now)
    : state_file_(std::move(state_file)), now_(std::move(now)) {
  if (state_file_.empty()) return;
  Load();
  writer_ = std::thread([this] { WriteLoop(); });
}

MemoryTokenStore::~MemoryTokenStore() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (writer_.joinable()) writer_.join();
}

void MemoryTokenStore::Load() {
  std::ifstream in(state_file_);
  if (!in) return;  // first start
  std::stringstream text;
  text << in.rdbuf();
  std::optional<State> state = ParseState(text.str());
  if (!state) {
    const std::string aside = absl::StrCat(state_file_, ".corrupt");
    std::rename(state_file_.c_str(), aside.c_str());
    load_warning_ =
        absl::StrCat("tokens.state_file: ", state_file_, " is not a token state file; moved it to ",
                     aside, " and started empty");
    return;
  }
  absl::MutexLock lock(&mu_);
  state_ = *std::move(state);
}

bool MemoryTokenStore::WriteDueLocked() const { return changes_ != written_ || stopping_; }

bool MemoryTokenStore::FlushedLocked() const { return changes_ == written_; }

void MemoryTokenStore::WriteLoop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    mu_.Await(absl::Condition(this, &MemoryTokenStore::WriteDueLocked));
    if (changes_ == written_) return;  // stopping, and nothing is left to write
    // Everything written up to now goes in this one file; later writes wait for the next.
    const uint64_t upto = changes_;
    const State snapshot = state_;
    mu_.Unlock();
    absl::Status status = WriteFileAtomically(state_file_, SerializeState(snapshot));
    if (!status.ok()) {
      Log(LogLevel::kWarning, "token_state_write_failed", {{"problem", status.message()}});
    }
    mu_.Lock();
    written_ = upto;
    last_write_ = std::move(status);
  }
}

absl::Status MemoryTokenStore::Flush() {
  absl::MutexLock lock(&mu_);
  if (state_file_.empty()) return absl::OkStatus();
  mu_.Await(absl::Condition(this, &MemoryTokenStore::FlushedLocked));
  return last_write_;
}

void MemoryTokenStore::Get(absl::string_view key, GetDone done) {
  std::optional<TokenRecord> record;
  {
    absl::MutexLock lock(&mu_);
    auto it = state_.records.find(key);
    if (it != state_.records.end()) record = it->second;
  }
  std::move(done)(std::move(record));
}

void MemoryTokenStore::CompareAndSet(absl::string_view key, int64_t expected_version,
                                     TokenRecord record, CasDone done) {
  CasOutcome outcome;
  {
    absl::MutexLock lock(&mu_);
    auto it = state_.records.find(key);
    const int64_t current = it == state_.records.end() ? 0 : it->second.version;
    if (current != expected_version) {
      if (it != state_.records.end()) outcome.current = it->second;
    } else {
      record.version = current + 1;
      state_.records[key] = record;
      ++changes_;  // the writer thread wakes up for it
      outcome = {.stored = true, .current = std::move(record)};
    }
  }
  std::move(done)(std::move(outcome));
}

void MemoryTokenStore::TryLease(absl::string_view key, absl::string_view owner, absl::Duration ttl,
                                LeaseDone done) {
  bool taken = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = now_();
    Lease& lease = leases_[key];
    if (lease.owner.empty() || lease.owner == owner || lease.until <= now) {
      lease = {.owner = std::string(owner), .until = now + ttl};
      taken = true;
    }
  }
  std::move(done)(taken);
}

void MemoryTokenStore::ReleaseLease(absl::string_view key, absl::string_view owner,
                                    ReleaseDone done) {
  {
    absl::MutexLock lock(&mu_);
    auto it = leases_.find(key);
    if (it != leases_.end() && it->second.owner == owner) leases_.erase(it);
  }
  std::move(done)(absl::OkStatus());
}

void MemoryTokenStore::TakeQuota(absl::string_view key, QuotaUse use, QuotaDone done) {
  QuotaOutcome outcome;
  {
    absl::MutexLock lock(&mu_);
    Quota& quota = state_.quotas[key];
    if (quota.period != use.period) quota = {.period = use.period, .last = quota.last};
    if (quota.used >= use.limit) {
      outcome.verdict = QuotaOutcome::Verdict::kSpent;
    } else if (use.now - quota.last < use.spacing) {
      outcome.verdict = QuotaOutcome::Verdict::kTooSoon;
    } else {
      ++quota.used;
      quota.last = use.now;
      ++changes_;
    }
    outcome.used = quota.used;
  }
  std::move(done)(outcome);
}

std::string MemoryTokenStore::LeaseOwner(absl::string_view key) const {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(key);
  if (it == leases_.end() || it->second.until <= now_()) return "";
  return it->second.owner;
}

}  // namespace wxgate
