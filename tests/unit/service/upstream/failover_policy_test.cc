// JudgeAttempt: which outcomes fail a domain, and which let a read or a write go to
// the next domain. A write moves on only when it was certainly never sent.
#include "service/upstream/failover_policy.h"

#include "gtest/gtest.h"
#include "service/errors/gateway_reasons.h"
#include "service/upstream/curl_errors.h"
#include "service/upstream/request_not_sent.h"

namespace wxgate {
namespace {

constexpr bool kRead = true;
constexpr bool kWrite = false;

absl::Status Curl(CURLcode code, bool connected = false) {
  return CurlFailure(code, "", "https://a", absl::Seconds(3), connected);
}

void ExpectVerdict(const absl::StatusOr<HttpResponse>& outcome, bool repeatable,
                   DomainHealth domain, bool try_next) {
  const AttemptVerdict verdict = JudgeAttempt(outcome, repeatable);
  EXPECT_EQ(verdict.domain, domain) << outcome.status();
  EXPECT_EQ(verdict.try_next_domain, try_next) << outcome.status();
}

TEST(FailoverPolicyTest, AnAnswerBelow500IsHealthyAndFinal) {
  for (long status : {200, 404, 429}) {  // NOLINT(runtime/int)
    for (bool repeatable : {kRead, kWrite}) {
      ExpectVerdict(HttpResponse{.status = status, .body = R"({"errcode":40001})"}, repeatable,
                    DomainHealth::kHealthy, false);
    }
  }
}

TEST(FailoverPolicyTest, Http5xxFailsTheDomainAndMovesOnlyAReadOn) {
  for (long status : {500, 502, 503}) {  // NOLINT(runtime/int)
    ExpectVerdict(HttpResponse{.status = status}, kRead, DomainHealth::kFailed, true);
    ExpectVerdict(HttpResponse{.status = status}, kWrite, DomainHealth::kFailed, false);
  }
}

TEST(FailoverPolicyTest, NeverSentMovesReadsAndWritesOn) {
  for (CURLcode code :
       {CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT}) {
    ASSERT_TRUE(FailsBeforeSending(code));
    const absl::Status not_sent = MarkedNotSent(Curl(code));
    ExpectVerdict(not_sent, kRead, DomainHealth::kFailed, true);
    ExpectVerdict(not_sent, kWrite, DomainHealth::kFailed, true);
  }
}

TEST(FailoverPolicyTest, ConnectErrorsWithoutTheNotSentMarkKeepAWrite) {
  // E.g. a reused connection that failed after curl began sending.
  ExpectVerdict(Curl(CURLE_COULDNT_CONNECT), kWrite, DomainHealth::kFailed, false);
  ExpectVerdict(Curl(CURLE_COULDNT_CONNECT), kRead, DomainHealth::kFailed, true);
}

TEST(FailoverPolicyTest, OnlyConnectPhaseErrorsCanBeNeverSent) {
  for (CURLcode code : {CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
                        CURLE_SSL_CONNECT_ERROR, CURLE_WRITE_ERROR}) {
    EXPECT_FALSE(FailsBeforeSending(code)) << curl_easy_strerror(code);
  }
  EXPECT_FALSE(WasNotSent(absl::OkStatus()));
  EXPECT_FALSE(WasNotSent(MarkedNotSent(absl::OkStatus())));
}

TEST(FailoverPolicyTest, ABrokenConnectionMovesOnlyAReadOn) {
  for (CURLcode code : {CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_SEND_ERROR,
                        CURLE_SSL_CONNECT_ERROR, CURLE_HTTP2}) {
    ExpectVerdict(Curl(code, true), kRead, DomainHealth::kFailed, true);
    ExpectVerdict(Curl(code, true), kWrite, DomainHealth::kFailed, false);
  }
}

TEST(FailoverPolicyTest, ATimeoutAfterSendingIsNoVerdict) {
  ExpectVerdict(Curl(CURLE_OPERATION_TIMEDOUT, true), kRead, DomainHealth::kUnknown, false);
  ExpectVerdict(Curl(CURLE_OPERATION_TIMEDOUT, true), kWrite, DomainHealth::kUnknown, false);
}

TEST(FailoverPolicyTest, TheGatewaysOwnFailuresSayNothingOfTheDomain) {
  for (const absl::Status& status :
       {absl::CancelledError("cancelled"), GatewayError(Reason::kUpstreamQueueFull, "full"),
        GatewayError(Reason::kDeadlineBeforeUpstream, "late"), Curl(CURLE_WRITE_ERROR, true)}) {
    ExpectVerdict(status, kRead, DomainHealth::kUnknown, false);
    ExpectVerdict(status, kWrite, DomainHealth::kUnknown, false);
  }
}

}  // namespace
}  // namespace wxgate
