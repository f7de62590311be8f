// MemoryTokenStore: compare-and-set by version, leases on an injected clock,
// callbacks inline and re-entrant, and the state file: persisted off the caller's
// thread, flushed on destruction, read back, mode 0600, a bad file moved aside.
#include "service/token/memory_token_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/observe/log.h"
#include "tests/testing/test_clock.h"

namespace wxgate {
namespace {

using ::testing::HasSubstr;

using testing::TestClock;

TokenRecord RecordOf(std::string value, absl::Time at = absl::FromUnixSeconds(1700000000)) {
  return {.value = std::move(value), .fetched_at = at, .expires_at = at + absl::Seconds(7200)};
}

// The operations answer inline: each helper checks that `done` ran before returning.
std::optional<TokenRecord> GetOf(TokenStore& store, const std::string& key) {
  std::optional<absl::StatusOr<std::optional<TokenRecord>>> got;
  store.Get(key, [&](absl::StatusOr<std::optional<TokenRecord>> r) { got = std::move(r); });
  EXPECT_TRUE(got.has_value()) << "Get answered inline";
  EXPECT_TRUE(got && got->ok());
  return got && got->ok() ? **got : std::nullopt;
}
CasOutcome CasOf(TokenStore& store, const std::string& key, int64_t expected, TokenRecord record) {
  std::optional<absl::StatusOr<CasOutcome>> got;
  store.CompareAndSet(key, expected, std::move(record),
                      [&](absl::StatusOr<CasOutcome> r) { got = std::move(r); });
  EXPECT_TRUE(got.has_value()) << "CompareAndSet answered inline";
  EXPECT_TRUE(got && got->ok());
  return got && got->ok() ? **got : CasOutcome{};
}
bool LeaseOf(TokenStore& store, const std::string& key, const std::string& owner,
             absl::Duration ttl) {
  std::optional<absl::StatusOr<bool>> got;
  store.TryLease(key, owner, ttl, [&](absl::StatusOr<bool> r) { got = std::move(r); });
  EXPECT_TRUE(got.has_value()) << "TryLease answered inline";
  return got && got->ok() && **got;
}
void ReleaseOf(TokenStore& store, const std::string& key, const std::string& owner) {
  std::optional<absl::Status> got;
  store.ReleaseLease(key, owner, [&](absl::Status s) { got = std::move(s); });
  ASSERT_TRUE(got.has_value()) << "ReleaseLease answered inline";
  EXPECT_TRUE(got->ok());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class MemoryTokenStoreFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = absl::StrCat(::testing::TempDir(), "/memory_token_store_", test->name(), ".json");
    Clean();
  }
  void TearDown() override { Clean(); }
  void Clean() {
    for (const char* suffix : {"", ".tmp", ".corrupt"}) {
      std::remove(absl::StrCat(path_, suffix).c_str());
    }
  }
  std::string path_;
};

TEST(MemoryTokenStoreTest, CompareAndSetByVersion) {
  MemoryTokenStore store;
  EXPECT_EQ(GetOf(store, "wx1/access_token"), std::nullopt);

  TokenRecord first = RecordOf("T1");
  first.version = 42;  // ignored: the store assigns versions
  CasOutcome stored = CasOf(store, "wx1/access_token", 0, first);
  EXPECT_TRUE(stored.stored);
  ASSERT_TRUE(stored.current.has_value());
  EXPECT_EQ(stored.current->version, 1);
  EXPECT_EQ(stored.current->value, "T1");

  // A second writer that also read "no record" loses and learns the winner's record.
  CasOutcome lost = CasOf(store, "wx1/access_token", 0, RecordOf("T-other"));
  EXPECT_FALSE(lost.stored);
  ASSERT_TRUE(lost.current.has_value());
  EXPECT_EQ(lost.current->value, "T1");
  EXPECT_EQ(lost.current->version, 1);

  EXPECT_TRUE(CasOf(store, "wx1/access_token", 1, RecordOf("T2")).stored);
  EXPECT_FALSE(CasOf(store, "wx1/access_token", 1, RecordOf("T3")).stored);
  EXPECT_FALSE(CasOf(store, "wx1/access_token", 5, RecordOf("T3")).stored) << "not ahead either";
  std::optional<TokenRecord> now = GetOf(store, "wx1/access_token");
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->value, "T2");
  EXPECT_EQ(now->version, 2);
  EXPECT_EQ(now->fetched_at, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(now->expires_at, absl::FromUnixSeconds(1700007200));

  // Keys are independent; a missing key loses against any expected version but 0.
  CasOutcome missing = CasOf(store, "wx2/access_token", 1, RecordOf("X"));
  EXPECT_FALSE(missing.stored);
  EXPECT_EQ(missing.current, std::nullopt);
  EXPECT_EQ(GetOf(store, "wx2/access_token"), std::nullopt);
}

TEST(MemoryTokenStoreTest, LeasesHaveOneOwnerUntilTheyExpire) {
  TestClock clock;
  MemoryTokenStore store("", [&] { return clock.Now(); });
  const std::string key = "wx1/access_token";
  EXPECT_TRUE(LeaseOf(store, key, "replica-1", absl::Seconds(30)));
  EXPECT_FALSE(LeaseOf(store, key, "replica-2", absl::Seconds(30)));
  EXPECT_TRUE(LeaseOf(store, "wx1/jsapi_ticket", "replica-2", absl::Seconds(30)))
      << "leases are per key";

  clock.Advance(absl::Seconds(20));
  EXPECT_TRUE(LeaseOf(store, key, "replica-1", absl::Seconds(30))) << "renewed until 50 s";
  clock.Advance(absl::Seconds(20));  // 40 s: the first TTL is over, the renewal is not
  EXPECT_FALSE(LeaseOf(store, key, "replica-2", absl::Seconds(30)));

  clock.Advance(absl::Seconds(10));  // 50 s: expired, so it may be taken over
  EXPECT_TRUE(LeaseOf(store, key, "replica-2", absl::Seconds(30)));
  EXPECT_FALSE(LeaseOf(store, key, "replica-1", absl::Seconds(30)));

  ReleaseOf(store, key, "replica-1");  // not the owner: nothing happens
  EXPECT_FALSE(LeaseOf(store, key, "replica-1", absl::Seconds(30)));
  ReleaseOf(store, key, "replica-2");
  EXPECT_TRUE(LeaseOf(store, key, "replica-1", absl::Seconds(30)));
  ReleaseOf(store, "wx9/none", "replica-1");  // unknown key: fine
}

TEST(MemoryTokenStoreTest, CallbacksMayStartTheNextOperation) {
  MemoryTokenStore store;
  bool stored = false;
  store.Get("k", [&](absl::StatusOr<std::optional<TokenRecord>> got) {
    ASSERT_TRUE(got.ok());
    const int64_t version = got->has_value() ? (*got)->version : 0;
    store.TryLease("k", "me", absl::Seconds(30), [&, version](absl::StatusOr<bool> taken) {
      ASSERT_TRUE(taken.ok() && *taken);
      store.CompareAndSet("k", version, RecordOf("T1"), [&](absl::StatusOr<CasOutcome> outcome) {
        stored = outcome.ok() && outcome->stored;
        store.ReleaseLease("k", "me", [](absl::Status) {});
      });
    });
  });
  EXPECT_TRUE(stored);
}

TEST_F(MemoryTokenStoreFileTest, PersistsAndReadsBack) {
  {
    MemoryTokenStore store(path_);
    EXPECT_EQ(store.load_warning(), "") << "a missing file is a first start";
    EXPECT_TRUE(CasOf(store, "wx1/access_token", 0, RecordOf("T1")).stored);
    EXPECT_TRUE(CasOf(store, "wx1/access_token", 1, RecordOf("T2")).stored);
    EXPECT_TRUE(CasOf(store, "wx1/jsapi_ticket", 0, RecordOf("J1")).stored);
    ASSERT_TRUE(store.Flush().ok());
    LeaseOf(store, "wx1/access_token", "replica-1", absl::Seconds(30));

    struct stat info {};
    ASSERT_EQ(stat(path_.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600) << "the file holds tokens";
    const nlohmann::json json = nlohmann::json::parse(ReadFile(path_));
    EXPECT_EQ(json["tokens"]["wx1/access_token"]["value"], "T2");
    EXPECT_EQ(json["tokens"]["wx1/access_token"]["version"], 2);
    EXPECT_EQ(json["tokens"]["wx1/access_token"]["expires_at_ms"], int64_t{1700007200000});
    EXPECT_EQ(json["tokens"]["wx1/jsapi_ticket"]["value"], "J1");
    EXPECT_EQ(stat(absl::StrCat(path_, ".tmp").c_str(), &info), -1) << "renamed, not left";
  }
  MemoryTokenStore reloaded(path_);  // a restart
  EXPECT_EQ(reloaded.load_warning(), "");
  std::optional<TokenRecord> token = GetOf(reloaded, "wx1/access_token");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->value, "T2");
  EXPECT_EQ(token->version, 2);
  EXPECT_EQ(token->fetched_at, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(token->expires_at, absl::FromUnixSeconds(1700007200));
  EXPECT_EQ(GetOf(reloaded, "wx1/jsapi_ticket")->value, "J1");
  EXPECT_TRUE(CasOf(reloaded, "wx1/access_token", 2, RecordOf("T3")).stored)
      << "versions go on growing after a restart";
  EXPECT_TRUE(LeaseOf(reloaded, "wx1/access_token", "replica-2", absl::Seconds(30)))
      << "leases are not persisted";
}

TEST_F(MemoryTokenStoreFileTest, DestructionWritesWhatIsPending) {
  {
    MemoryTokenStore store(path_);
    for (int i = 0; i < 50; ++i) {
      EXPECT_TRUE(CasOf(store, "wx1/access_token", i, RecordOf(absl::StrCat("T", i + 1))).stored);
    }
  }  // no Flush: a clean shutdown
  MemoryTokenStore reloaded(path_);
  std::optional<TokenRecord> token = GetOf(reloaded, "wx1/access_token");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->value, "T50");
  EXPECT_EQ(token->version, 50);
}

// Whether a thread of this process is inside openat(2): the writer thread opening
// a FIFO that nobody reads blocks there.
bool SomeThreadIsOpening() {
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return false;
  bool opening = false;
  while (dirent* task = readdir(tasks)) {
    if (task->d_name[0] == '.') continue;
    std::ifstream syscall(absl::StrCat("/proc/self/task/", task->d_name, "/syscall"));
    long number = -1;  // NOLINT(runtime/int)
    if (syscall >> number && number == SYS_openat) opening = true;
  }
  closedir(tasks);
  return opening;
}

// The writer thread is stuck opening the file (a FIFO nobody reads yet), and every
// operation still answers at once: callers never wait on disk I/O.
TEST_F(MemoryTokenStoreFileTest, CallersNeverWaitWhileTheFileIsWritten) {
  const std::string temp = absl::StrCat(path_, ".tmp");
  ASSERT_EQ(mkfifo(temp.c_str(), 0600), 0);
  MemoryTokenStore store(path_);
  EXPECT_TRUE(CasOf(store, "wx1/access_token", 0, RecordOf("T1")).stored);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!SomeThreadIsOpening()) {
    ASSERT_LT(absl::Now(), deadline) << "the writer thread never opened the file";
    absl::SleepFor(absl::Milliseconds(1));
  }
  for (int i = 1; i <= 100; ++i) {  // each answers inline, or the helpers fail
    EXPECT_TRUE(CasOf(store, "wx1/access_token", i, RecordOf(absl::StrCat("T", i + 1))).stored);
    EXPECT_EQ(GetOf(store, "wx1/access_token")->version, i + 1);
    EXPECT_TRUE(LeaseOf(store, "wx1/access_token", "me", absl::Seconds(30)));
  }
  // Unblock the writer: its first file holds what there was when it began.
  const int fifo = open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fifo, 0);
  std::string first;
  char buffer[4096];
  for (ssize_t n; (n = read(fifo, buffer, sizeof(buffer))) > 0;) {
    first.append(buffer, static_cast<size_t>(n));
  }
  close(fifo);
  EXPECT_EQ(nlohmann::json::parse(first)["tokens"]["wx1/access_token"]["version"], 1);
  // The hundred writes made meanwhile went into the next file, together.
  ASSERT_TRUE(store.Flush().ok());
  struct stat info {};
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  ASSERT_TRUE(S_ISREG(info.st_mode));
  EXPECT_EQ(nlohmann::json::parse(ReadFile(path_))["tokens"]["wx1/access_token"]["version"], 101);
}

TEST_F(MemoryTokenStoreFileTest, LooserPermissionsAreTightened) {
  {
    std::ofstream out(path_);
    out << "{}";
  }
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  {
    std::ofstream out(absl::StrCat(path_, ".tmp"));  // left by a crash, also loose
  }
  ASSERT_EQ(chmod(absl::StrCat(path_, ".tmp").c_str(), 0644), 0);
  MemoryTokenStore store(path_);
  EXPECT_EQ(store.load_warning(), "");
  CasOf(store, "wx1/access_token", 0, RecordOf("T1"));
  ASSERT_TRUE(store.Flush().ok());
  struct stat info {};
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
}

QuotaOutcome QuotaOf(TokenStore& store, const std::string& key, absl::Time now) {
  std::optional<absl::StatusOr<QuotaOutcome>> got;
  store.TakeQuota(key, {.period = 7, .limit = 2, .spacing = absl::Seconds(30), .now = now},
                  [&](absl::StatusOr<QuotaOutcome> o) { got = std::move(o); });
  EXPECT_TRUE(got.has_value() && got->ok()) << "TakeQuota answered inline";
  return got && got->ok() ? **got : QuotaOutcome{};
}

TEST(MemoryTokenStoreTest, AQuotaCountsUsesPerPeriodSpacedApart) {
  MemoryTokenStore store;
  const absl::Time t = absl::FromUnixSeconds(1700000000);
  using Verdict = QuotaOutcome::Verdict;
  QuotaOutcome first = QuotaOf(store, "q", t);
  EXPECT_EQ(first.verdict, Verdict::kTaken);
  EXPECT_EQ(first.used, 1);
  EXPECT_EQ(QuotaOf(store, "q", t + absl::Seconds(29)).verdict, Verdict::kTooSoon);
  EXPECT_EQ(QuotaOf(store, "q", t + absl::Seconds(30)).used, 2);
  QuotaOutcome spent = QuotaOf(store, "q", t + absl::Hours(1));
  EXPECT_EQ(spent.verdict, Verdict::kSpent);
  EXPECT_EQ(spent.used, 2) << "a refused use is not counted";
  EXPECT_EQ(QuotaOf(store, "other", t).verdict, Verdict::kTaken) << "keys are independent";
}

TEST_F(MemoryTokenStoreFileTest, QuotasArePersistedWithTheTokens) {
  const absl::Time t = absl::FromUnixSeconds(1700000000);
  {
    MemoryTokenStore store(path_);
    QuotaOf(store, "force_refresh/wx1", t);
    QuotaOf(store, "force_refresh/wx1", t + absl::Minutes(1));
  }
  const nlohmann::json json = nlohmann::json::parse(ReadFile(path_));
  EXPECT_EQ(json["quotas"]["force_refresh/wx1"]["used"], 2);
  MemoryTokenStore reloaded(path_);
  EXPECT_EQ(QuotaOf(reloaded, "force_refresh/wx1", t + absl::Hours(1)).verdict,
            QuotaOutcome::Verdict::kSpent);
}

TEST_F(MemoryTokenStoreFileTest, AFileFromBeforeQuotasIsReadAsTokens) {
  {
    std::ofstream out(path_);
    out << R"({"wx1/access_token": {"value": "T1", "expires_at_ms": 1700007200000,
                "fetched_at_ms": 1700000000000, "version": 3}})";
  }
  MemoryTokenStore store(path_);
  EXPECT_EQ(store.load_warning(), "");
  ASSERT_TRUE(GetOf(store, "wx1/access_token").has_value());
  EXPECT_EQ(GetOf(store, "wx1/access_token")->version, 3);
}

TEST_F(MemoryTokenStoreFileTest, CorruptFileIsMovedAsideAndTheStoreStartsEmpty) {
  for (const std::string contents :
       {"{not json", "[1, 2]",
        R"({"wx1/access_token": {"value": "T1", "expires_at_ms": "soon", "fetched_at_ms": 1,
            "version": 1}})",
        R"({"wx1/access_token": {"value": "T1", "expires_at_ms": 1, "fetched_at_ms": 1}})",
        R"({"tokens": {}, "quotas": {"force_refresh/wx1": {"period": 1, "used": "x"}}})",
        R"({"tokens": [], "quotas": {}})"}) {
    SCOPED_TRACE(contents);
    Clean();
    {
      std::ofstream out(path_);
      out << contents;
    }
    {
      MemoryTokenStore store(path_);
      EXPECT_THAT(store.load_warning(), HasSubstr(absl::StrCat(path_, ".corrupt")));
      EXPECT_THAT(store.load_warning(), HasSubstr("started empty"));
      EXPECT_EQ(GetOf(store, "wx1/access_token"), std::nullopt);
      EXPECT_EQ(ReadFile(absl::StrCat(path_, ".corrupt")), contents) << "kept for a person";
      struct stat info {};
      EXPECT_EQ(stat(path_.c_str(), &info), -1) << "moved, not copied";
      EXPECT_TRUE(CasOf(store, "wx1/access_token", 0, RecordOf("T1")).stored);
    }
    MemoryTokenStore reloaded(path_);
    EXPECT_EQ(reloaded.load_warning(), "") << "the next file is good again";
    EXPECT_EQ(GetOf(reloaded, "wx1/access_token")->value, "T1");
  }
}

TEST_F(MemoryTokenStoreFileTest, AFileThatCannotBeWrittenIsLoggedAndMemoryStillServes) {
  std::vector<std::string> lines;
  absl::Mutex mu;
  SetLogSink([&](const std::string& line) {
    absl::MutexLock lock(&mu);
    lines.push_back(line);
  });
  const std::string nowhere = absl::StrCat(::testing::TempDir(), "/no-such-dir/tokens.json");
  {
    MemoryTokenStore store(nowhere);
    EXPECT_TRUE(CasOf(store, "wx1/access_token", 0, RecordOf("T-secret-value")).stored);
    absl::Status flushed = store.Flush();
    EXPECT_EQ(flushed.code(), absl::StatusCode::kUnavailable) << flushed;
    EXPECT_THAT(flushed.message(), HasSubstr("no-such-dir"));
    EXPECT_EQ(GetOf(store, "wx1/access_token")->value, "T-secret-value");
  }
  SetLogSink(nullptr);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("token_state_write_failed"));
  EXPECT_THAT(lines[0], ::testing::Not(HasSubstr("T-secret-value")));
}

TEST(MemoryTokenStoreTest, ParseStateReadsWhatSerializeStateWrites) {
  MemoryTokenStore::State state;
  state.records["wx1/access_token"] = {.value = "T1",
                                       .fetched_at = absl::FromUnixMillis(1700000000000),
                                       .expires_at = absl::FromUnixMillis(1700007200000),
                                       .version = 3};
  state.quotas["force_refresh/wx1"] = {
      .period = 19700, .used = 2, .last = absl::FromUnixMillis(1700000000000)};
  const std::string text = MemoryTokenStore::SerializeState(state);
  std::optional<MemoryTokenStore::State> read = MemoryTokenStore::ParseState(text);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->records["wx1/access_token"].value, "T1");
  EXPECT_EQ(read->records["wx1/access_token"].version, 3);
  EXPECT_EQ(read->records["wx1/access_token"].expires_at, absl::FromUnixMillis(1700007200000));
  EXPECT_EQ(read->quotas["force_refresh/wx1"].used, 2);
  EXPECT_EQ(read->quotas["force_refresh/wx1"].period, 19700);
  EXPECT_EQ(MemoryTokenStore::SerializeState(*read), text);
}

TEST(MemoryTokenStoreTest, ParseStateRefusesNumbersOutOfRange) {
  // Found while writing token_state_fuzzer: these were cut or wrapped around silently.
  const std::string token = R"({"tokens": {"wx1/access_token": {"value": "T1",
      "fetched_at_ms": 1, "expires_at_ms": 2, "version": %s}}})";
  const std::string quota = R"({"tokens": {}, "quotas": {"force_refresh/wx1":
      {"period": 1, "last_ms": 1, "used": %s}}})";
  const auto with = [](const std::string& text, const std::string& number) {
    return absl::StrReplaceAll(text, {{"%s", number}});
  };
  EXPECT_TRUE(MemoryTokenStore::ParseState(with(token, "9223372036854775807")).has_value());
  EXPECT_FALSE(MemoryTokenStore::ParseState(with(token, "9223372036854775808")).has_value());
  EXPECT_FALSE(MemoryTokenStore::ParseState(with(token, "18446744073709551615")).has_value());
  EXPECT_TRUE(MemoryTokenStore::ParseState(with(quota, "2147483647")).has_value());
  EXPECT_FALSE(MemoryTokenStore::ParseState(with(quota, "4294967297")).has_value());
  EXPECT_FALSE(MemoryTokenStore::ParseState(with(quota, "-1")).has_value());
  EXPECT_FALSE(MemoryTokenStore::ParseState("{not json").has_value());
}

TEST(MemoryTokenStoreTest, FlushWithoutAFileReturnsAtOnce) {
  MemoryTokenStore store;
  CasOf(store, "k", 0, RecordOf("T1"));
  EXPECT_TRUE(store.Flush().ok());
}

}  // namespace
}  // namespace wxgate
