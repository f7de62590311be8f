// FakeWeChat over real HTTPS: libcurl with certificate verification against 127.0.0.1.
#include "tests/fake_wechat/fake_wechat.h"

#include <curl/curl.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace wxgate::fake {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kCertDir = FAKE_WECHAT_CERT_DIR;

struct Reply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::string content_type;
  json Json() const { return json::parse(body, nullptr, false); }
};

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// One curl easy handle: consecutive requests reuse its connection (keep-alive).
class Client {
 public:
  explicit Client(std::string ca_file = kCertDir + "/ca.pem") : ca_file_(std::move(ca_file)) {}
  ~Client() { curl_easy_cleanup(curl_); }

  Reply Get(const std::string& url) { return Perform(url, nullptr, {}); }
  Reply Post(const std::string& url, const std::string& body,
             std::vector<std::string> headers = {"Content-Type: application/json"}) {
    return Perform(url, &body, headers);
  }

  // Sets up `curl` for one request whose answer goes to `reply`; used for multi too.
  static void Prepare(CURL* curl, const std::string& ca_file, const std::string& url,
                      Reply* reply) {
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply->body);
  }

  static void Collect(CURL* curl, CURLcode code, Reply* reply) {
    reply->code = code;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
    char* content_type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type);
    if (content_type != nullptr) reply->content_type = content_type;
  }

 private:
  Reply Perform(const std::string& url, const std::string* body,
                const std::vector<std::string>& headers) {
    Reply reply;
    curl_easy_reset(curl_);  // keeps the connection cache
    Prepare(curl_, ca_file_, url, &reply);
    curl_slist* list = nullptr;
    for (const std::string& header : headers) list = curl_slist_append(list, header.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    if (body != nullptr) {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
    }
    Collect(curl_, curl_easy_perform(curl_), &reply);
    curl_slist_free_all(list);
    return reply;
  }

  std::string ca_file_;
  CURL* curl_ = curl_easy_init();
};

FakeWeChatOptions Options() {
  FakeWeChatOptions options;
  options.cert_file = kCertDir + "/server.pem";
  options.key_file = kCertDir + "/server.key";
  options.endpoints_dir = FAKE_WECHAT_ENDPOINTS_DIR;
  return options;
}

class FakeWeChatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddAccount("wx1", "secret1");
    fake_.AddAccount("wx2", "secret2");
    fake_.SetClock([this] {
      absl::MutexLock lock(&clock_mu_);
      return now_;
    });
    ASSERT_TRUE(fake_.Start().ok());
    ASSERT_NE(fake_.port(), 0);
  }

  void Advance(absl::Duration duration) {
    absl::MutexLock lock(&clock_mu_);
    now_ += duration;
  }

  std::string Url(const std::string& path_and_query) { return fake_.base_url() + path_and_query; }

  json GetJson(const std::string& path_and_query) {
    return client_.Get(Url(path_and_query)).Json();
  }
  json PostJson(const std::string& path_and_query, const json& body) {
    return client_.Post(Url(path_and_query), body.dump()).Json();
  }

  json ClassicToken(const std::string& appid, const std::string& secret) {
    return GetJson("/cgi-bin/token?grant_type=client_credential&appid=" + appid +
                   "&secret=" + secret);
  }
  json StableToken(const std::string& appid, const std::string& secret, bool force) {
    return PostJson("/cgi-bin/stable_token", {{"grant_type", "client_credential"},
                                              {"appid", appid},
                                              {"secret", secret},
                                              {"force_refresh", force}});
  }
  // The errcode that a table endpoint answers for `token` (0 when it is accepted).
  int TokenErrcode(const std::string& token) {
    return GetJson("/fake/echo?access_token=" + token).value("errcode", -1);
  }

  absl::Mutex clock_mu_;
  // Beijing 18:00: the forced-refresh test stays within one quota day.
  absl::Time now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), absl::UTCTimeZone());
  FakeWeChat fake_{Options()};
  Client client_;
};

TEST_F(FakeWeChatTest, ClassicTokenIsNewEachCallAndTheOldOneOverlapsFiveMinutes) {
  const json first = ClassicToken("wx1", "secret1");
  ASSERT_TRUE(first.contains("access_token")) << first;
  EXPECT_EQ(first["expires_in"], 7200);
  const std::string t1 = first["access_token"];
  EXPECT_EQ(GetJson("/fake/echo?access_token=" + t1)["appid"], "wx1");

  const std::string t2 = ClassicToken("wx1", "secret1")["access_token"];
  EXPECT_NE(t1, t2);
  EXPECT_EQ(fake_.CurrentAccessToken("wx1"), t2);

  Advance(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_EQ(TokenErrcode(t1), 0);
  Advance(absl::Seconds(2));
  EXPECT_EQ(TokenErrcode(t1), 40001);
  EXPECT_EQ(TokenErrcode(t2), 0);

  Advance(absl::Seconds(7200));
  EXPECT_EQ(TokenErrcode(t2), 42001);
  EXPECT_EQ(fake_.CurrentAccessToken("wx1"), "");
}

TEST_F(FakeWeChatTest, ClassicTokenRejectsBadCredentials) {
  EXPECT_EQ(ClassicToken("wx9", "secret1")["errcode"], 40013);
  EXPECT_EQ(ClassicToken("wx1", "wrong")["errcode"], 40125);
  EXPECT_EQ(ClassicToken("", "secret1")["errcode"], 41002);
  EXPECT_EQ(GetJson("/cgi-bin/token?grant_type=x&appid=wx1&secret=secret1")["errcode"], 40002);
  EXPECT_EQ(PostJson("/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=secret1",
                     json::object())["errcode"],
            43001);
}

TEST_F(FakeWeChatTest, StableTokenIsReusedWhileValidAndIsolatedFromClassic) {
  const json first = StableToken("wx1", "secret1", false);
  ASSERT_TRUE(first.contains("access_token")) << first;
  const std::string s1 = first["access_token"];

  Advance(absl::Seconds(100));
  ClassicToken("wx1", "secret1");  // another lineage: must not retire s1
  const json again = StableToken("wx1", "secret1", false);
  EXPECT_EQ(again["access_token"], s1);
  EXPECT_EQ(again["expires_in"], 7100);

  Advance(absl::Seconds(7100));
  EXPECT_EQ(TokenErrcode(s1), 42001);
  const json renewed = StableToken("wx1", "secret1", false);
  EXPECT_NE(renewed["access_token"], s1);
  EXPECT_EQ(renewed["expires_in"], 7200);
}

TEST_F(FakeWeChatTest, StableTokenForceRefreshIsLimited) {
  const std::string s1 = StableToken("wx1", "secret1", false)["access_token"];
  const json forced = StableToken("wx1", "secret1", true);
  ASSERT_TRUE(forced.contains("access_token")) << forced;
  EXPECT_NE(forced["access_token"], s1);
  EXPECT_EQ(TokenErrcode(s1), 0);  // 5 minutes of overlap

  EXPECT_EQ(StableToken("wx1", "secret1", true)["errcode"], 45011);  // < 30 s apart
  for (int i = 2; i <= 20; ++i) {
    Advance(absl::Seconds(30));
    ASSERT_TRUE(StableToken("wx1", "secret1", true).contains("access_token")) << i;
  }
  EXPECT_EQ(TokenErrcode(s1), 40001);
  Advance(absl::Seconds(30));
  EXPECT_EQ(StableToken("wx1", "secret1", true)["errcode"], 45009);  // 21st today
  EXPECT_TRUE(StableToken("wx1", "secret1", false).contains("access_token"));
  EXPECT_TRUE(StableToken("wx2", "secret2", true).contains("access_token"));  // per appid

  Advance(absl::Hours(24));
  EXPECT_TRUE(StableToken("wx1", "secret1", true).contains("access_token"));
}

TEST_F(FakeWeChatTest, StableTokenRejectsBadRequests) {
  EXPECT_EQ(client_.Post(Url("/cgi-bin/stable_token"), "{not json").Json()["errcode"], 47001);
  EXPECT_EQ(PostJson("/cgi-bin/stable_token", {{"grant_type", "client_credential"},
                                               {"appid", "wx1"},
                                               {"secret", "secret1"},
                                               {"force_refresh", "yes"}})["errcode"],
            47001);
  EXPECT_EQ(StableToken("wx1", "wrong", false)["errcode"], 40125);
  EXPECT_EQ(GetJson("/cgi-bin/stable_token")["errcode"], 43002);
}

TEST_F(FakeWeChatTest, TableEndpointChecksTheAccessToken) {
  const std::string path = "/fake/selftest/user_info?openid=o1";
  EXPECT_EQ(GetJson(path)["errcode"], 41001);
  EXPECT_EQ(GetJson(path + "&access_token=bogus")["errcode"], 40001);

  const std::string token = ClassicToken("wx1", "secret1")["access_token"];
  EXPECT_EQ(GetJson(path + "&access_token=" + token)["subscribe"], 1);

  fake_.RevokeAccessTokens("wx1");
  const json revoked = GetJson(path + "&access_token=" + token);
  EXPECT_EQ(revoked["errcode"], 40001);
  EXPECT_EQ(revoked["errmsg"], "invalid credential, access_token is invalid or not latest");

  const std::string fresh = ClassicToken("wx1", "secret1")["access_token"];
  Advance(absl::Seconds(7200));
  EXPECT_EQ(GetJson(path + "&access_token=" + fresh)["errcode"], 42001);
}

TEST_F(FakeWeChatTest, TableEndpointChecksMethodAndRequiredNames) {
  const std::string token = ClassicToken("wx1", "secret1")["access_token"];
  const std::string auth = "?access_token=" + token;

  const json missing = GetJson("/fake/selftest/user_info" + auth);
  EXPECT_EQ(missing["errcode"], 47001);
  EXPECT_EQ(missing["errmsg"], "data format error hint: missing openid");
  EXPECT_EQ(
      GetJson("/fake/selftest/user_info" + auth + "&openid=o1"),
      json({{"subscribe", 1}, {"openid", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"}, {"nickname", "Band"}}));
  EXPECT_EQ(PostJson("/fake/selftest/user_info" + auth + "&openid=o1", json::object())["errcode"],
            43001);

  const std::string create = "/fake/selftest/tag_create" + auth;
  EXPECT_EQ(GetJson(create)["errcode"], 43002);
  EXPECT_EQ(client_.Post(Url(create), "not json").Json()["errcode"], 47001);
  EXPECT_EQ(PostJson(create, {{"other", 1}})["errmsg"], "data format error hint: missing tag");
  const json created = PostJson(create, {{"tag", {{"name", "广东"}}}});
  EXPECT_EQ(created["errcode"], 0);
  EXPECT_EQ(created["errmsg"], "ok");
  EXPECT_EQ(created["tag"]["id"], 134);

  const json code = GetJson("/fake/selftest/no_credential");
  EXPECT_EQ(code["errcode"], 40029);
  EXPECT_EQ(code["errmsg"], "invalid code hint: missing code");
  EXPECT_EQ(GetJson("/fake/selftest/no_credential?code=c")["openid"], "o1");

  const std::string multipart = "Content-Type: multipart/form-data; boundary=b";
  const std::string parts =
      "--b\r\nContent-Disposition: form-data; name=\"media\"\r\n\r\nx\r\n--b--\r\n";
  EXPECT_EQ(client_.Post(Url("/fake/selftest/upload" + auth), parts, {multipart}).Json()["errcode"],
            47001);
  EXPECT_EQ(client_.Post(Url("/fake/selftest/upload" + auth + "&type=image"), parts, {multipart})
                .Json()["media_id"],
            "MEDIA_ID");
  const std::string no_media =
      "--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n";
  EXPECT_EQ(client_.Post(Url("/fake/selftest/upload" + auth + "&type=image"), no_media, {multipart})
                .Json()["errmsg"],
            "media data missing hint: missing media");
  EXPECT_EQ(client_
                .Post(Url("/fake/selftest/upload" + auth + "&type=image"), parts,
                      {"Content-Type: application/json"})
                .Json()["errcode"],
            41005);

  const Reply download = client_.Get(Url("/fake/selftest/download" + auth));
  EXPECT_EQ(download.content_type, "image/jpeg");
  EXPECT_EQ(download.body, "fake jpeg bytes");
}

TEST_F(FakeWeChatTest, EchoShowsWhatWasSent) {
  const Reply reply = client_.Post(Url("/fake/echo?a=1&b=x%20y+z"), R"({"k":[1,2]})",
                                   {"Content-Type: application/json", "X-Test: yes"});
  EXPECT_EQ(reply.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(reply.Json(), json({{"errcode", 0},
                                {"errmsg", "ok"},
                                {"method", "POST"},
                                {"path", "/fake/echo"},
                                {"query", {{"a", "1"}, {"b", "x y z"}}},
                                {"body", {{"k", {1, 2}}}}}));

  const std::optional<FakeWeChat::Request> last = fake_.LastRequest("/fake/echo");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->method, "POST");
  EXPECT_EQ(last->path, "/fake/echo");
  EXPECT_EQ(last->query.at("b"), "x y z");
  EXPECT_EQ(last->body, R"({"k":[1,2]})");
  EXPECT_EQ(last->headers.at("x-test"), "yes");

  EXPECT_TRUE(GetJson("/fake/echo")["body"].is_null());
  EXPECT_EQ(GetJson("/fake/echo?access_token=bogus")["errcode"], 40001);
  EXPECT_FALSE(fake_.LastRequest("/never").has_value());
}

TEST_F(FakeWeChatTest, RevokeControlEndpointMakesEveryTokenUnknown) {
  const std::string token = StableToken("wx1", "secret1", false)["access_token"];
  EXPECT_EQ(PostJson("/fake/revoke", {{"appid", 1}})["errcode"], 47001);
  EXPECT_EQ(PostJson("/fake/revoke", {{"appid", "wx1"}})["errcode"], 0);
  EXPECT_EQ(GetJson("/fake/echo?access_token=" + token)["errcode"], 40001);
  EXPECT_NE(StableToken("wx1", "secret1", false)["access_token"], token) << "a new one is issued";
  EXPECT_EQ(fake_.CallCount("/fake/revoke"), 0) << "control endpoints are not counted";
}

TEST_F(FakeWeChatTest, UnknownPathIsHttp404) {
  const Reply reply = client_.Get(Url("/cgi-bin/nope"));
  EXPECT_EQ(reply.code, CURLE_OK);
  EXPECT_EQ(reply.status, 404);
  EXPECT_THAT(reply.body, HasSubstr("/cgi-bin/nope"));
}

TEST_F(FakeWeChatTest, ControlEndpointsReportStatsAndSetLatency) {
  GetJson("/fake/echo");
  GetJson("/fake/echo?x=1");
  const json stats = GetJson("/fake/stats");
  EXPECT_EQ(stats["calls"], json({{"/fake/echo", 2}}));
  EXPECT_EQ(stats["connections"], 1);
  EXPECT_EQ(fake_.CallCount("/fake/stats"), 0);

  EXPECT_EQ(PostJson("/fake/latency", {{"ms", -1}})["errcode"], 47001);
  EXPECT_EQ(PostJson("/fake/latency", {{"ms", 200}})["errcode"], 0);
  const auto start = std::chrono::steady_clock::now();
  GetJson("/fake/echo");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
}

TEST_F(FakeWeChatTest, InjectedHttpStatusCountsAsCalls) {
  fake_.InjectFailure("/fake/echo", Failure::HttpStatus(503), 2);
  EXPECT_EQ(client_.Get(Url("/fake/echo")).status, 503);
  EXPECT_EQ(client_.Get(Url("/fake/echo")).status, 503);
  EXPECT_EQ(client_.Get(Url("/fake/echo")).status, 200);
  EXPECT_EQ(fake_.CallCount("/fake/echo"), 3);
}

TEST_F(FakeWeChatTest, InjectedNotJsonIsAnHtmlPage) {
  fake_.InjectFailure("/fake/echo", Failure::NotJson());
  const Reply reply = client_.Get(Url("/fake/echo"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_THAT(reply.content_type, StartsWith("text/html"));
  EXPECT_THAT(reply.body, StartsWith("<html>"));
}

TEST_F(FakeWeChatTest, InjectedTruncationIsAPartialFile) {
  fake_.InjectFailure("/fake/echo", Failure::Truncated());
  EXPECT_EQ(client_.Get(Url("/fake/echo")).code, CURLE_PARTIAL_FILE);
  EXPECT_EQ(client_.Get(Url("/fake/echo")).code, CURLE_OK);
}

TEST_F(FakeWeChatTest, InjectedCloseGivesNothing) {
  fake_.InjectFailure("/fake/echo", Failure::CloseWithoutAnswer());
  EXPECT_EQ(client_.Get(Url("/fake/echo")).code, CURLE_GOT_NOTHING);
  EXPECT_EQ(client_.Get(Url("/fake/echo")).code, CURLE_OK);
}

TEST_F(FakeWeChatTest, InjectedErrcodeComesBeforeTokenChecks) {
  fake_.InjectFailure("/fake/selftest/user_info", Failure::Errcode(45009, "quota"));
  EXPECT_EQ(GetJson("/fake/selftest/user_info"), json({{"errcode", 45009}, {"errmsg", "quota"}}));
  EXPECT_EQ(GetJson("/fake/selftest/user_info")["errcode"], 41001);
}

TEST_F(FakeWeChatTest, InjectionsQueueInOrderAndCanLastForever) {
  fake_.InjectFailure("/fake/echo", Failure::Errcode(1));
  fake_.InjectFailure("/fake/echo", Failure::Errcode(2), -1);
  EXPECT_EQ(GetJson("/fake/echo")["errcode"], 1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(GetJson("/fake/echo")["errcode"], 2);
  fake_.InjectFailure("/fake/echo", Failure::Errcode(0), 0);
  EXPECT_EQ(GetJson("/fake/echo")["method"], "GET");
}

TEST_F(FakeWeChatTest, KeepAliveServesManyRequestsOnOneConnection) {
  EXPECT_EQ(client_.Get(Url("/fake/echo")).status, 200);
  EXPECT_EQ(client_.Post(Url("/fake/echo"), "{}").status, 200);
  EXPECT_EQ(fake_.ConnectionCount(), 1);
  EXPECT_EQ(fake_.CallCount("/fake/echo"), 2);

  fake_.ResetCounters();
  EXPECT_EQ(fake_.ConnectionCount(), 0);
  EXPECT_EQ(fake_.CallCount("/fake/echo"), 0);
  EXPECT_FALSE(fake_.LastRequest("/fake/echo").has_value());
}

// `count` requests at once on separate connections; returns the wall time to answer all.
absl::Duration ConcurrentGets(const std::string& url, int count) {
  CURLM* multi = curl_multi_init();
  std::vector<CURL*> handles(count);
  std::vector<Reply> replies(count);
  const std::string ca_file = kCertDir + "/ca.pem";
  const absl::Time start = absl::Now();
  for (int i = 0; i < count; ++i) {
    handles[i] = curl_easy_init();
    Client::Prepare(handles[i], ca_file, url, &replies[i]);
    curl_easy_setopt(handles[i], CURLOPT_PRIVATE, &replies[i]);
    curl_multi_add_handle(multi, handles[i]);
  }
  for (int running = count; running > 0;) {
    curl_multi_perform(multi, &running);
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  const absl::Duration elapsed = absl::Now() - start;
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
    Reply* reply = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &reply);
    Client::Collect(message->easy_handle, message->data.result, reply);
  }
  for (int i = 0; i < count; ++i) {
    EXPECT_EQ(replies[i].code, CURLE_OK) << i;
    EXPECT_EQ(replies[i].status, 200) << i;
    curl_multi_remove_handle(multi, handles[i]);
    curl_easy_cleanup(handles[i]);
  }
  curl_multi_cleanup(multi);
  return elapsed;
}

TEST_F(FakeWeChatTest, LatencyIsWaitedAsynchronously) {
  fake_.SetLatency(absl::Milliseconds(300));
  const absl::Duration elapsed = ConcurrentGets(Url("/fake/echo"), 50);
  EXPECT_GE(elapsed, absl::Milliseconds(300));
  EXPECT_LT(elapsed, absl::Seconds(2));  // serial waiting would take 15 s
  EXPECT_EQ(fake_.ConnectionCount(), 50);
  EXPECT_EQ(fake_.CallCount("/fake/echo"), 50);
}

TEST_F(FakeWeChatTest, TwoHundredConnectionsWaitingHalfASecondAreAnsweredTogether) {
  fake_.SetLatency(absl::Milliseconds(500));
  const absl::Duration elapsed = ConcurrentGets(Url("/fake/echo"), 200);
  EXPECT_GE(elapsed, absl::Milliseconds(500));
  EXPECT_LT(elapsed, absl::Seconds(5));  // serial waiting would take 100 s
}

TEST(FakeWeChatThreadsTest, SeveralServerThreadsServeConcurrentConnections) {
  FakeWeChatOptions options = Options();
  options.threads = 2;
  FakeWeChat fake(options);
  ASSERT_TRUE(fake.Start().ok());
  fake.SetLatency(absl::Milliseconds(100));
  EXPECT_LT(ConcurrentGets(fake.base_url() + "/fake/echo", 50), absl::Seconds(3));
  EXPECT_EQ(fake.CallCount("/fake/echo"), 50);
}

TEST(FakeWeChatTlsTest, ClientsOfAnotherCaRejectTheServer) {
  FakeWeChat fake(Options());
  ASSERT_TRUE(fake.Start().ok());
  Client stranger(kCertDir + "/untrusted_ca.pem");
  EXPECT_EQ(stranger.Get(fake.base_url() + "/fake/echo").code, CURLE_PEER_FAILED_VERIFICATION);

  FakeWeChatOptions options = Options();
  options.cert_file = kCertDir + "/untrusted_server.pem";
  options.key_file = kCertDir + "/untrusted_server.key";
  FakeWeChat untrusted(options);
  ASSERT_TRUE(untrusted.Start().ok());
  Client client;
  EXPECT_EQ(client.Get(untrusted.base_url() + "/fake/echo").code, CURLE_PEER_FAILED_VERIFICATION);
}

TEST(FakeWeChatStartTest, MalformedTableFailsStartNamingTheFile) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "fake_wechat_malformed_table";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "good.json")
      << R"([{"method":"GET","path":"/a","credential":"none","answer":{}}])";
  std::ofstream(dir / "bad.json")
      << R"([{"method":"GET","path":"/b","credential":"none","answer":{}},
            {"path":"/c","credential":"none","answer":{}}])";

  FakeWeChatOptions options = Options();
  options.endpoints_dir = dir.string();
  FakeWeChat fake(options);
  const absl::Status status = fake.Start();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("bad.json: entry 1: 'method'"));
  std::filesystem::remove_all(dir);
}

TEST(FakeWeChatStartTest, MissingCertificateFailsStart) {
  FakeWeChatOptions options = Options();
  options.cert_file = kCertDir + "/nope.pem";
  FakeWeChat fake(options);
  const absl::Status status = fake.Start();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("nope.pem"));
}

}  // namespace
}  // namespace wxgate::fake

namespace wxgate::fake {
namespace {

// The open platform: "wx2" plays a third-party platform here (an account of the fake).
TEST_F(FakeWeChatTest, ComponentTicketsAndTokens) {
  EXPECT_EQ(PostJson("/cgi-bin/component/api_start_push_ticket",
                     {{"component_appid", "wx2"}, {"component_secret", "secret2"}})["errcode"],
            0);
  EXPECT_EQ(PostJson("/cgi-bin/component/api_start_push_ticket",
                     {{"component_appid", "wx2"}, {"component_secret", "wrong"}})["errcode"],
            40125);
  EXPECT_EQ(fake_.CallCount("/cgi-bin/component/api_start_push_ticket"), 2);

  auto token = [this](const std::string& ticket) {
    return PostJson("/cgi-bin/component/api_component_token",
                    {{"component_appid", "wx2"},
                     {"component_appsecret", "secret2"},
                     {"component_verify_ticket", ticket}});
  };
  EXPECT_EQ(token("ticket@@@wx2-1")["errcode"], 61006) << "not issued yet";
  // The push fails (nothing listens there), but the ticket was issued.
  const json pushed =
      PostJson("/fake/component/push_ticket", {{"component_appid", "wx2"},
                                               {"url", "http://127.0.0.1:1/wechat/component/wx2"},
                                               {"token", "t"},
                                               {"encoding_aes_key", std::string(43, 'a')}});
  EXPECT_NE(pushed["errcode"], 0);
  const json first = token("ticket@@@wx2-1");
  ASSERT_TRUE(first.contains("component_access_token")) << first;
  EXPECT_EQ(first["expires_in"], 7200);
  const std::string t1 = first["component_access_token"];
  const std::string t2 = token("ticket@@@wx2-1")["component_access_token"];
  EXPECT_NE(t1, t2) << "every call issues a new one";
  EXPECT_EQ(GetJson("/fake/echo?component_access_token=" + t2)["component_appid"], "wx2");
  EXPECT_EQ(PostJson("/fake/revoke", {{"appid", "wx2"}})["errcode"], 0);
  EXPECT_EQ(GetJson("/fake/echo?component_access_token=" + t2)["errcode"], 40001);
}

TEST_F(FakeWeChatTest, AuthorizersTokensComeFromTheCodeAndTheRefreshToken) {
  // A component token, as the gateway gets one.
  PostJson("/fake/component/push_ticket", {{"component_appid", "wx2"},
                                           {"url", "http://127.0.0.1:1/"},
                                           {"token", "t"},
                                           {"encoding_aes_key", std::string(43, 'a')}});
  const std::string component_token =
      PostJson("/cgi-bin/component/api_component_token",
               {{"component_appid", "wx2"},
                {"component_appsecret", "secret2"},
                {"component_verify_ticket", "ticket@@@wx2-1"}})["component_access_token"];
  // The authorization page: the push fails (nothing listens), the code is issued.
  const json authorize = {{"component_appid", "wx2"},
                          {"authorizer_appid", "wxa"},
                          {"func_info", {1, 2}},
                          {"url", "http://127.0.0.1:1/"},
                          {"token", "t"},
                          {"encoding_aes_key", std::string(43, 'a')}};
  EXPECT_NE(PostJson("/fake/component/authorize", authorize)["errcode"], 0);

  const std::string query_auth =
      "/cgi-bin/component/api_query_auth?component_access_token=" + component_token;
  const json code = {{"component_appid", "wx2"}, {"authorization_code", "queryauthcode@@@wx2-1"}};
  EXPECT_EQ(
      PostJson("/cgi-bin/component/api_query_auth?component_access_token=bad", code)["errcode"],
      40001);
  const json info = PostJson(query_auth, code)["authorization_info"];
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info["authorizer_appid"], "wxa");
  EXPECT_EQ(info["expires_in"], 7200);
  EXPECT_EQ(info["func_info"][1]["funcscope_category"]["id"], 2);
  const std::string first = info["authorizer_access_token"];
  const std::string refresh = info["authorizer_refresh_token"];
  EXPECT_EQ(GetJson("/fake/echo?access_token=" + first)["appid"], "wxa");
  EXPECT_EQ(PostJson(query_auth, code)["errcode"], 61010) << "a code is good once";

  const std::string authorizer_token =
      "/cgi-bin/component/api_authorizer_token?component_access_token=" + component_token;
  json refresh_body = {{"component_appid", "wx2"},
                       {"authorizer_appid", "wxa"},
                       {"authorizer_refresh_token", refresh}};
  const json second = PostJson(authorizer_token, refresh_body);
  ASSERT_TRUE(second.contains("authorizer_access_token")) << second;
  EXPECT_NE(second["authorizer_access_token"], first) << "every call issues a new one";
  EXPECT_EQ(second["authorizer_refresh_token"], refresh);
  refresh_body["authorizer_refresh_token"] = "refreshtoken@@@forged";
  EXPECT_EQ(PostJson(authorizer_token, refresh_body)["errcode"], 61023);

  // Unauthorized: the refresh token and the tokens are gone.
  json unauthorize = authorize;
  unauthorize.erase("func_info");
  PostJson("/fake/component/unauthorize", unauthorize);
  refresh_body["authorizer_refresh_token"] = refresh;
  EXPECT_EQ(PostJson(authorizer_token, refresh_body)["errcode"], 61023);
  EXPECT_EQ(GetJson("/fake/echo?access_token=" +
                    second["authorizer_access_token"].get<std::string>())["errcode"],
            40001);
}

TEST_F(FakeWeChatTest, RotatedRefreshTokensAndEveryIssuedValueAreListedInStats) {
  fake_.SetRotateRefreshTokens(true);
  PostJson("/fake/component/push_ticket", {{"component_appid", "wx2"},
                                           {"url", "http://127.0.0.1:1/"},
                                           {"token", "t"},
                                           {"encoding_aes_key", std::string(43, 'a')}});
  const std::string component_token =
      PostJson("/cgi-bin/component/api_component_token",
               {{"component_appid", "wx2"},
                {"component_appsecret", "secret2"},
                {"component_verify_ticket", "ticket@@@wx2-1"}})["component_access_token"];
  PostJson("/fake/component/authorize", {{"component_appid", "wx2"},
                                         {"authorizer_appid", "wxa"},
                                         {"func_info", {1}},
                                         {"url", "http://127.0.0.1:1/"},
                                         {"token", "t"},
                                         {"encoding_aes_key", std::string(43, 'a')}});
  const json info =
      PostJson("/cgi-bin/component/api_query_auth?component_access_token=" + component_token,
               {{"component_appid", "wx2"},
                {"authorization_code", "queryauthcode@@@wx2-1"}})["authorization_info"];
  const std::string r1 = info["authorizer_refresh_token"];
  const std::string authorizer_token =
      "/cgi-bin/component/api_authorizer_token?component_access_token=" + component_token;
  json refresh = {
      {"component_appid", "wx2"}, {"authorizer_appid", "wxa"}, {"authorizer_refresh_token", r1}};
  const json second = PostJson(authorizer_token, refresh);
  const std::string r2 = second["authorizer_refresh_token"];
  EXPECT_NE(r2, r1) << "rotated";
  EXPECT_EQ(PostJson(authorizer_token, refresh)["errcode"], 61023) << "the old one is refused";

  const json issued = GetJson("/fake/stats")["issued"];
  EXPECT_EQ(issued["component_verify_ticket"], json({"ticket@@@wx2-1"}));
  EXPECT_EQ(issued["component_access_token"], json({component_token}));
  EXPECT_EQ(issued["authorization_code"], json({"queryauthcode@@@wx2-1"}));
  EXPECT_EQ(issued["authorizer_refresh_token"], json({r1, r2}));
  EXPECT_EQ(issued["authorizer_access_token"],
            json({info["authorizer_access_token"], second["authorizer_access_token"]}));
}

}  // namespace
}  // namespace wxgate::fake
