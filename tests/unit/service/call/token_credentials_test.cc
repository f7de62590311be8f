// TokenCredentials: the account's own values by kind, managed tokens from the
// TokenManager (here over a transport that answers every fetch with one token),
// and a clear refusal of the kinds the gateway does not serve yet.
#include "service/call/token_credentials.h"

#include <gtest/gtest.h>

#include <optional>

#include "service/errors/error_info.h"
#include "service/token/authorizer_grant.h"
#include "service/token/memory_token_store.h"

namespace wxgate {
namespace {

// Answers every request at once with a token and counts the requests.
class TokenIssuingTransport : public HttpTransport {
 public:
  int sent = 0;
  std::string body = R"({"access_token":"AT","ticket":"TK","expires_in":7200})";
  TransferId Send(HttpRequest, Done done) override {
    ++sent;
    std::move(done)(HttpResponse{.status = 200, .content_type = "application/json", .body = body});
    return sent;
  }
  void Cancel(TransferId) override {}
};

class TokenCredentialsTest : public ::testing::Test {
 protected:
  absl::StatusOr<CallCredential> Get(CredentialKind kind) {
    std::optional<absl::StatusOr<CallCredential>> got;
    credentials_.Get(account_, kind, {}, [&got](absl::StatusOr<CallCredential> c) { got = c; });
    EXPECT_TRUE(got.has_value()) << "the callback must have run: nothing here waits";
    return got.value_or(absl::InternalError("no answer"));
  }

  const Account account_{.appid = "wx1", .secret = "secret-1"};
  TokenIssuingTransport transport_;
  TokenFetcher fetcher_{&transport_, "https://api.test", absl::Seconds(5)};
  MemoryTokenStore store_;
  TokenManager tokens_{&fetcher_, &store_};
  TokenCredentials credentials_{tokens_};
};

TEST_F(TokenCredentialsTest, TheAccountsOwnValuesByKind) {
  absl::StatusOr<CallCredential> none = Get(CredentialKind::kNone);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->kind, CredentialKind::kNone);
  EXPECT_EQ(none->appid, "wx1");
  EXPECT_TRUE(none->secret.empty());
  EXPECT_TRUE(none->token.empty());

  absl::StatusOr<CallCredential> oauth = Get(CredentialKind::kOAuthUserToken);
  EXPECT_EQ(oauth->kind, CredentialKind::kOAuthUserToken);
  EXPECT_TRUE(oauth->secret.empty());

  absl::StatusOr<CallCredential> secret = Get(CredentialKind::kAppidSecret);
  EXPECT_EQ(secret->kind, CredentialKind::kAppidSecret);
  EXPECT_EQ(secret->secret, "secret-1");
  EXPECT_EQ(transport_.sent, 0);
}

TEST_F(TokenCredentialsTest, ManagedTokensComeFromTheTokenManager) {
  absl::StatusOr<CallCredential> token = Get(CredentialKind::kAccessToken);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->kind, CredentialKind::kAccessToken);
  EXPECT_EQ(token->token, "AT");
  EXPECT_TRUE(token->secret.empty());
  absl::StatusOr<CallCredential> ticket = Get(CredentialKind::kJsapiTicket);
  EXPECT_EQ(ticket->token, "TK");
  EXPECT_EQ(transport_.sent, 2);  // the access token is cached

  credentials_.Invalidate(account_, CredentialKind::kAccessToken, "AT");
  EXPECT_FALSE(tokens_.Status(account_, TokenKind::kAccessToken).valid);
}

TEST_F(TokenCredentialsTest, AnAccountOfOurOwnHasNoAuthorizerTokenAndNothingFallsBack) {
  const CredentialKind kind = CredentialKind::kAuthorizerAccessToken;
  absl::Status status = Get(kind).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "CREDENTIAL_NOT_SERVED");
  EXPECT_NE(status.message().find(CredentialKindName(kind)), std::string::npos) << status;
  EXPECT_EQ(transport_.sent, 0);
}

TEST_F(TokenCredentialsTest, AnAuthorizersTokenIsItsAccessTokenAndItHasNoSecret) {
  const Account authorizer{.appid = "wxa", .component = &account_};
  std::optional<absl::StatusOr<CallCredential>> got;
  credentials_.Get(authorizer, CredentialKind::kAppidSecret, {},
                   [&got](absl::StatusOr<CallCredential> c) { got = c; });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(ErrorInfoOf(got->status())->reason(), "CREDENTIAL_NOT_SERVED");
  EXPECT_NE(got->status().message().find("wxa"), std::string::npos);
  // Both kinds ask the token manager for its access token: never authorized here.
  for (CredentialKind kind :
       {CredentialKind::kAuthorizerAccessToken, CredentialKind::kAccessToken}) {
    got.reset();
    credentials_.Get(authorizer, kind, {}, [&got](absl::StatusOr<CallCredential> c) { got = c; });
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(ErrorInfoOf(got->status())->reason(), "UNKNOWN_APPID");
  }
  EXPECT_EQ(transport_.sent, 0);
}

TEST_F(TokenCredentialsTest, AnAuthorizerNeedsOneOfTheMethodsPermissionSets) {
  // `account_` is the component here; wxa authorized it granting sets 1 and 2.
  const Account authorizer{.appid = "wxa", .component = &account_};
  store_.CompareAndSet(
      "wx1/wxa/authorizer_grant", 0,
      {.value = EncodeAuthorizerGrant({.refresh_token = "R", .permission_sets = {1, 2}}),
       .expires_at = absl::InfiniteFuture()},
      [](absl::StatusOr<CasOutcome>) {});
  tokens_.SetComponentTicket(account_, "TICKET", [](absl::Status) {});
  transport_.body = R"({"component_access_token":"CT","authorizer_access_token":"AAT",)"
                    R"("authorizer_refresh_token":"R","expires_in":7200})";
  auto get = [&](std::vector<int> sets) {
    std::optional<absl::StatusOr<CallCredential>> got;
    credentials_.Get(authorizer, CredentialKind::kAccessToken, sets,
                     [&got](absl::StatusOr<CallCredential> c) { got = c; });
    EXPECT_TRUE(got.has_value());
    return got.value_or(absl::InternalError("no answer"));
  };
  absl::Status refused = get({15}).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorInfoOf(refused)->reason(), "AUTHORIZER_LACKS_PERMISSION");
  EXPECT_NE(refused.message().find("15 Menu management"), std::string::npos) << refused;
  EXPECT_EQ(ErrorInfoOf(refused)->metadata().at("permission_sets"), "15");
  EXPECT_EQ(transport_.sent, 0) << "refused before any token, and before WeChat";

  absl::StatusOr<CallCredential> allowed = get({7, 2});
  ASSERT_TRUE(allowed.ok()) << allowed.status() << ": one of the sets is enough";
  EXPECT_EQ(allowed->token, "AAT");
  EXPECT_TRUE(get({}).ok()) << "a service no set covers needs none";
}

TEST_F(TokenCredentialsTest, AComponentTokenNeedsItsTicketAndNeverFallsBack) {
  // `account_` stands for the component here: CredentialAccount picked it.
  absl::Status missing = Get(CredentialKind::kComponentAccessToken).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorInfoOf(missing)->reason(), "COMPONENT_TICKET_MISSING");
  EXPECT_EQ(transport_.sent, 0) << "no access_token is sent in its place";

  tokens_.SetComponentTicket(account_, "TICKET", [](absl::Status) {});
  transport_.body = R"({"component_access_token":"CT","expires_in":7200})";
  absl::StatusOr<CallCredential> token = Get(CredentialKind::kComponentAccessToken);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->kind, CredentialKind::kComponentAccessToken);
  EXPECT_EQ(token->token, "CT");
  credentials_.Invalidate(account_, CredentialKind::kComponentAccessToken, "CT");
  EXPECT_FALSE(tokens_.Status(account_, TokenKind::kComponentAccessToken).valid);
}

}  // namespace
}  // namespace wxgate
