// FailoverTransport over a fake transport that answers by domain: reads go on to the
// next domain after a failure, writes only when never sent; later calls start on the
// domain that works; other hosts pass through; cancel stops the failover.
#include "service/upstream/failover_transport.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/errors/error_info.h"
#include "service/upstream/curl_errors.h"
#include "service/upstream/request_not_sent.h"

namespace wxgate {
namespace {

using ::testing::ElementsAre;

// Answers by the URL's base: refused (never sent), 503, a broken connection or 200.
class DomainFake : public HttpTransport {
 public:
  enum class Mode { kOk, kRefused, k503, kBroken, kHold };
  std::map<std::string, Mode> modes;  // by base URL; unlisted: kOk
  std::vector<std::string> sent;      // URLs, in order
  std::vector<TransferId> cancelled;

  TransferId Send(HttpRequest request, Done done) override {
    sent.push_back(request.url);
    const TransferId id = sent.size();
    Mode mode = Mode::kOk;
    for (const auto& [base, m] : modes) {
      if (absl::StartsWith(request.url, base)) mode = m;
    }
    switch (mode) {
      case Mode::kOk:
        std::move(done)(HttpResponse{.status = 200, .body = request.url});
        break;
      case Mode::kRefused:
        std::move(done)(
            MarkedNotSent(CurlFailure(CURLE_COULDNT_CONNECT, "", "x", absl::Seconds(1), false)));
        break;
      case Mode::k503:
        std::move(done)(HttpResponse{.status = 503});
        break;
      case Mode::kBroken:
        std::move(done)(CurlFailure(CURLE_RECV_ERROR, "", "x", absl::Seconds(1), true));
        break;
      case Mode::kHold:
        held.emplace_back(id, std::move(done));
        break;
    }
    return id;
  }
  void Cancel(TransferId id) override {
    cancelled.push_back(id);
    for (auto& [held_id, done] : held) {
      if (held_id == id && done) std::move(done)(absl::CancelledError("cancelled"));
    }
  }

  std::vector<std::pair<TransferId, Done>> held;
};

class FailoverTransportTest : public ::testing::Test {
 protected:
  FailoverTransportTest()
      : domains_({"https://a", "https://b", "https://c"}, absl::Seconds(10), nullptr,
                 [this] { return now_; }),
        transport_(&fake_, &domains_, [this] { return now_; }) {}

  // Sends a request for `path` built on the primary; returns its outcome.
  absl::StatusOr<HttpResponse> Call(bool repeatable, std::string url = "https://a/cgi-bin/x?q=1") {
    std::optional<absl::StatusOr<HttpResponse>> outcome;
    transport_.Send({.method = repeatable ? "GET" : "POST",
                     .url = std::move(url),
                     .timeout = absl::Seconds(5),
                     .repeatable = repeatable},
                    [&](absl::StatusOr<HttpResponse> answer) { outcome = std::move(answer); });
    EXPECT_TRUE(outcome.has_value());
    return outcome.value_or(absl::UnknownError("no outcome"));
  }

  absl::Time now_ = absl::FromUnixSeconds(1'000'000);
  DomainFake fake_;
  DomainSelector domains_;
  FailoverTransport transport_;
};

TEST_F(FailoverTransportTest, AHealthyPrimaryIsCalledAlone) {
  ASSERT_TRUE(Call(true).ok());
  EXPECT_THAT(fake_.sent, ElementsAre("https://a/cgi-bin/x?q=1"));
}

TEST_F(FailoverTransportTest, AReadGoesOnAfterRefused503OrBrokenConnection) {
  for (DomainFake::Mode mode :
       {DomainFake::Mode::kRefused, DomainFake::Mode::k503, DomainFake::Mode::kBroken}) {
    fake_.sent.clear();
    fake_.modes = {{"https://a", mode}, {"https://b", mode}};
    // Whichever domain is current, the read ends on c.
    absl::StatusOr<HttpResponse> answer = Call(true);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->body, "https://c/cgi-bin/x?q=1");
  }
}

TEST_F(FailoverTransportTest, EveryDomainTriedOnceThenTheLastFailureIsReturned) {
  fake_.modes = {{"https://a", DomainFake::Mode::k503},
                 {"https://b", DomainFake::Mode::k503},
                 {"https://c", DomainFake::Mode::kBroken}};
  absl::StatusOr<HttpResponse> answer = Call(true);
  EXPECT_FALSE(answer.ok());
  EXPECT_THAT(fake_.sent, ElementsAre("https://a/cgi-bin/x?q=1", "https://b/cgi-bin/x?q=1",
                                      "https://c/cgi-bin/x?q=1"));
}

TEST_F(FailoverTransportTest, AWriteGoesOnOnlyWhenNeverSent) {
  fake_.modes = {{"https://a", DomainFake::Mode::kRefused}};
  ASSERT_TRUE(Call(false).ok());
  EXPECT_THAT(fake_.sent, ElementsAre("https://a/cgi-bin/x?q=1", "https://b/cgi-bin/x?q=1"));

  fake_.sent.clear();
  fake_.modes = {{"https://b", DomainFake::Mode::k503}};
  absl::StatusOr<HttpResponse> answer = Call(false);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 503) << "a write that may have been processed is not repeated";
  EXPECT_THAT(fake_.sent, ElementsAre("https://b/cgi-bin/x?q=1"));

  fake_.sent.clear();
  fake_.modes = {{"https://c", DomainFake::Mode::kBroken}};
  EXPECT_FALSE(Call(false).ok());
  EXPECT_THAT(fake_.sent, ElementsAre("https://c/cgi-bin/x?q=1"));
}

TEST_F(FailoverTransportTest, LaterCallsStartOnTheWorkingDomainAndReturnAfterAProbe) {
  fake_.modes = {{"https://a", DomainFake::Mode::kRefused}};
  ASSERT_TRUE(Call(true).ok());
  fake_.sent.clear();
  ASSERT_TRUE(Call(false).ok());
  ASSERT_TRUE(Call(true).ok());
  EXPECT_THAT(fake_.sent, ElementsAre("https://b/cgi-bin/x?q=1", "https://b/cgi-bin/x?q=1"));

  // a recovers; the first read after the probe interval finds it, and calls return.
  fake_.modes.clear();
  fake_.sent.clear();
  now_ += absl::Seconds(10);
  ASSERT_TRUE(Call(false).ok());
  ASSERT_TRUE(Call(true).ok());
  ASSERT_TRUE(Call(false).ok());
  EXPECT_THAT(fake_.sent, ElementsAre("https://b/cgi-bin/x?q=1", "https://a/cgi-bin/x?q=1",
                                      "https://a/cgi-bin/x?q=1"));
  EXPECT_EQ(domains_.current(), "https://a");
}

TEST_F(FailoverTransportTest, OtherHostsPassThrough) {
  fake_.modes = {{"https://mp", DomainFake::Mode::kRefused}};
  EXPECT_FALSE(Call(true, "https://mp/showqrcode?ticket=t").ok());
  EXPECT_TRUE(Call(true, "https://ab/cgi-bin/x").ok()) << "not the primary's base URL";
  EXPECT_THAT(fake_.sent, ElementsAre("https://mp/showqrcode?ticket=t", "https://ab/cgi-bin/x"));
  EXPECT_EQ(domains_.current(), "https://a");
}

TEST_F(FailoverTransportTest, NoAttemptAfterTheTimeoutPassed) {
  fake_.modes = {{"https://a", DomainFake::Mode::kHold}};
  std::optional<absl::StatusOr<HttpResponse>> outcome;
  transport_.Send({.url = "https://a/x", .timeout = absl::Seconds(5), .repeatable = true},
                  [&](absl::StatusOr<HttpResponse> answer) { outcome = std::move(answer); });
  now_ += absl::Seconds(5);
  std::move(fake_.held[0].second)(HttpResponse{.status = 503});
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->value().status, 503);
  EXPECT_EQ(fake_.sent.size(), 1u);
}

TEST_F(FailoverTransportTest, LaterAttemptsGetWhatIsLeftOfTheTimeout) {
  fake_.modes = {{"https://a", DomainFake::Mode::kHold}};
  std::vector<absl::Duration> timeouts;
  struct Recorder : HttpTransport {
    HttpTransport* inner;
    std::vector<absl::Duration>* timeouts;
    TransferId Send(HttpRequest request, Done done) override {
      timeouts->push_back(request.timeout);
      return inner->Send(std::move(request), std::move(done));
    }
    void Cancel(TransferId id) override { inner->Cancel(id); }
  } recorder;
  recorder.inner = &fake_;
  recorder.timeouts = &timeouts;
  FailoverTransport transport(&recorder, &domains_, [this] { return now_; });
  std::optional<absl::StatusOr<HttpResponse>> outcome;
  transport.Send({.url = "https://a/x", .timeout = absl::Seconds(5), .repeatable = true},
                 [&](absl::StatusOr<HttpResponse> answer) { outcome = std::move(answer); });
  now_ += absl::Seconds(2);
  std::move(fake_.held[0].second)(HttpResponse{.status = 502});
  ASSERT_TRUE(outcome.has_value() && outcome->ok());
  EXPECT_THAT(timeouts, ElementsAre(absl::Seconds(5), absl::Seconds(3)));
}

TEST_F(FailoverTransportTest, CancelAbortsTheAttemptInFlightAndSendsNoMore) {
  fake_.modes = {{"https://a", DomainFake::Mode::kHold}};
  std::optional<absl::StatusOr<HttpResponse>> outcome;
  const HttpTransport::TransferId id =
      transport_.Send({.url = "https://a/x", .timeout = absl::Seconds(5), .repeatable = true},
                      [&](absl::StatusOr<HttpResponse> answer) { outcome = std::move(answer); });
  transport_.Cancel(id);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(fake_.cancelled, ElementsAre(1u));
  EXPECT_EQ(fake_.sent.size(), 1u);
  transport_.Cancel(id);  // ended: a no-op
  EXPECT_EQ(fake_.cancelled.size(), 1u);
}

TEST_F(FailoverTransportTest, CancelOfAPassedThroughTransferReachesTheInnerTransport) {
  fake_.modes = {{"https://mp", DomainFake::Mode::kHold}};
  std::optional<absl::StatusOr<HttpResponse>> outcome;
  const HttpTransport::TransferId id =
      transport_.Send({.url = "https://mp/x", .timeout = absl::Seconds(5)},
                      [&](absl::StatusOr<HttpResponse> answer) { outcome = std::move(answer); });
  transport_.Cancel(id);
  EXPECT_THAT(fake_.cancelled, ElementsAre(id));
  ASSERT_TRUE(outcome.has_value());
}

}  // namespace
}  // namespace wxgate
