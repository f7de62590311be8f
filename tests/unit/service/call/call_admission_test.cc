// CallAdmission on server contexts built in the test (ServerContextTestSpouse sets
// their metadata): who calls comes first, then which account, then whether the
// caller may call the method for it; each refusal has its own reason.
#include "service/call/call_admission.h"

#include <grpcpp/server_context.h>
#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "service/errors/error_info.h"

namespace wxgate {
namespace {

constexpr char kAppid[] = "wx0000000000000001";
constexpr char kOther[] = "wx0000000000000002";
constexpr char kMethod[] = "wechat.mp.v1.UserService/GetUserInfo";
// SHA-256 of "k1".
constexpr char kKeyHash[] = "6ab9f1eb8f7d3388f4f9d586f66e99fd54080df2c446f0e58668b09c08a16dd0";

config::v1::Access ShopOnly(double per_second = 0) {
  config::v1::Access access;
  auto* shop = access.add_callers();
  shop->set_name("shop");
  shop->add_api_key_sha256(kKeyHash);
  shop->mutable_policy()->add_appids(kAppid);
  shop->mutable_policy()->add_methods("wechat.mp.v1.UserService/*");
  if (per_second > 0) {
    shop->mutable_rate_limit()->set_per_second(per_second);
    shop->mutable_rate_limit()->set_burst(1);
  }
  return access;
}

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "<none>";
}

class CallAdmissionTest : public ::testing::Test {
 protected:
  // A context with these metadata ("" leaves a key out). The spouse keeps the
  // metadata strings the context refers to, so it lives as long as the test.
  grpc::ServerContext& Context(const std::string& key, const std::string& appid) {
    contexts_.push_back(std::make_unique<grpc::ServerContext>());
    spouses_.push_back(
        std::make_unique<grpc::testing::ServerContextTestSpouse>(contexts_.back().get()));
    if (!key.empty()) spouses_.back()->AddClientMetadata("authorization", "Bearer " + key);
    if (!appid.empty()) spouses_.back()->AddClientMetadata("x-wx-appid", appid);
    return *contexts_.back();
  }

  std::vector<std::unique_ptr<grpc::ServerContext>> contexts_;
  std::vector<std::unique_ptr<grpc::testing::ServerContextTestSpouse>> spouses_;
  AccountDirectory accounts_{{{.appid = kAppid}, {.appid = kOther}}, ""};
  CallAdmission admission_{accounts_, std::make_shared<const CallerAuthorizer>(ShopOnly())};
};

TEST_F(CallAdmissionTest, AKnownCallerIsAdmittedForItsAccount) {
  absl::StatusOr<CallAdmission::Admitted> admitted =
      admission_.Admit(Context("k1", kAppid), kMethod);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->caller, "shop");
  EXPECT_EQ(admitted->account->appid, kAppid);
}

TEST_F(CallAdmissionTest, AnUnknownCallerIsUnauthenticatedBeforeTheAccountIsLookedAt) {
  for (const std::string& key : {std::string(""), std::string("wrong")}) {
    for (const std::string& appid :
         {std::string(kAppid), std::string("wxunknown"), std::string()}) {
      absl::Status status = admission_.Admit(Context(key, appid), kMethod).status();
      EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << key << " " << appid;
      EXPECT_EQ(ReasonOf(status), "CALLER_UNAUTHENTICATED");
    }
  }
}

TEST_F(CallAdmissionTest, AKnownCallerLearnsWhichAccountIsWrong) {
  EXPECT_EQ(ReasonOf(admission_.Admit(Context("k1", "wxunknown"), kMethod).status()),
            "UNKNOWN_APPID");
  EXPECT_EQ(ReasonOf(admission_.Admit(Context("k1", ""), kMethod).status()), "NO_DEFAULT_ACCOUNT");
}

TEST_F(CallAdmissionTest, ACallOutsideThePolicyIsNotAllowed) {
  absl::Status other_account = admission_.Admit(Context("k1", kOther), kMethod).status();
  EXPECT_EQ(other_account.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(other_account), "CALLER_NOT_ALLOWED");
  absl::Status other_method =
      admission_.Admit(Context("k1", kAppid), "wxgate.v1.TokenService/GetAccessToken").status();
  EXPECT_EQ(ReasonOf(other_method), "CALLER_NOT_ALLOWED");
}

TEST_F(CallAdmissionTest, IdentifyOnlyNamesTheCaller) {
  EXPECT_EQ(*admission_.Identify(Context("k1", ""), kMethod), "shop");
  EXPECT_EQ(ReasonOf(admission_.Identify(Context("", ""), kMethod).status()),
            "CALLER_UNAUTHENTICATED");
  EXPECT_EQ(ReasonOf(admission_.AdmitCallerFor(Context("k1", ""), kMethod, kOther).status()),
            "CALLER_NOT_ALLOWED");
  EXPECT_EQ(*admission_.AdmitCallerFor(Context("k1", ""), kMethod, kAppid), "shop");
}

TEST_F(CallAdmissionTest, ACallerOverItsRateLimitIsToldWhenToRetry) {
  admission_.ReplaceAuthorizer(std::make_shared<const CallerAuthorizer>(ShopOnly(0.001)));
  ASSERT_TRUE(admission_.Admit(Context("k1", kAppid), kMethod).ok());
  absl::Status limited = admission_.Admit(Context("k1", kAppid), kMethod).status();
  EXPECT_EQ(limited.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(limited), "CALLER_RATE_LIMITED");
  EXPECT_TRUE(RetryInfoOf(limited).has_value());
}

TEST_F(CallAdmissionTest, NewRulesApplyToTheNextCall) {
  config::v1::Access open;
  open.mutable_anonymous()->add_appids("*");
  open.mutable_anonymous()->add_methods("*");
  admission_.ReplaceAuthorizer(std::make_shared<const CallerAuthorizer>(open));
  absl::StatusOr<CallAdmission::Admitted> admitted = admission_.Admit(Context("", kOther), kMethod);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->caller, "anonymous");
}

TEST_F(CallAdmissionTest, AdmitForSomeNamesTheAppidsThePolicyAllows) {
  const std::vector<std::string> asked = {kAppid, kOther, std::string(kAllAppids)};
  absl::StatusOr<CallAdmission::AdmittedForSome> shop =
      admission_.AdmitForSome({.authorization = "Bearer k1"}, kMethod, asked);
  ASSERT_TRUE(shop.ok()) << shop.status();
  EXPECT_EQ(shop->caller, "shop");
  EXPECT_EQ(shop->appids, std::vector<std::string>{kAppid});

  EXPECT_EQ(ReasonOf(admission_.AdmitForSome({}, kMethod, asked).status()),
            "CALLER_UNAUTHENTICATED");
  EXPECT_EQ(
      ReasonOf(admission_.AdmitForSome({.authorization = "Bearer k2"}, kMethod, asked).status()),
      "CALLER_UNAUTHENTICATED");
  // Known, but the policy allows this method for none of them.
  absl::Status none =
      admission_
          .AdmitForSome({.authorization = "Bearer k1"}, "wxgate.v1.AdminService/GetStatus", asked)
          .status();
  EXPECT_EQ(none.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(none), "CALLER_NOT_ALLOWED");
}

TEST_F(CallAdmissionTest, AdmitForSomeCountsOnceAgainstTheRateLimit) {
  admission_.ReplaceAuthorizer(std::make_shared<const CallerAuthorizer>(ShopOnly(0.001)));
  const std::vector<std::string> asked = {kAppid, kOther};
  ASSERT_TRUE(admission_.AdmitForSome({.authorization = "Bearer k1"}, kMethod, asked).ok());
  absl::Status limited =
      admission_.AdmitForSome({.authorization = "Bearer k1"}, kMethod, asked).status();
  EXPECT_EQ(ReasonOf(limited), "CALLER_RATE_LIMITED");
  EXPECT_TRUE(RetryInfoOf(limited).has_value());
}

}  // namespace
}  // namespace wxgate

namespace wxgate {
namespace {

// --- The component a call's component_access_token comes from ------------------

constexpr char kComponent[] = "wx00000000000000c1";

class ComponentAdmissionTest : public CallAdmissionTest {
 protected:
  // The shop caller, with kComponent in its policy if `names_component`.
  void Rules(bool names_component) {
    config::v1::Access access = ShopOnly();
    if (names_component) access.mutable_callers(0)->mutable_policy()->add_appids(kComponent);
    admission_.ReplaceAuthorizer(std::make_shared<const CallerAuthorizer>(access));
  }
  grpc::ServerContext& WithComponent(const std::string& component_appid) {
    grpc::ServerContext& context = Context("k1", kAppid);
    spouses_.back()->AddClientMetadata("x-wx-component-appid", component_appid);
    return context;
  }

  ComponentDirectory components_{std::vector<Account>{{.appid = kComponent, .secret = "s"}}};
  CallAdmission admission_{accounts_, std::make_shared<const CallerAuthorizer>(ShopOnly()),
                           &components_};
};

TEST_F(ComponentAdmissionTest, TheOnlyComponentIsTheCallsWhenThePolicyNamesIt) {
  Rules(/*names_component=*/true);
  absl::StatusOr<CallAdmission::Admitted> admitted =
      admission_.Admit(Context("k1", kAppid), kMethod);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  ASSERT_NE(admitted->component, nullptr);
  EXPECT_EQ(admitted->component->appid, kComponent);
  EXPECT_EQ((*admission_.Admit(WithComponent(kComponent), kMethod)).component->appid, kComponent);
}

TEST_F(ComponentAdmissionTest, APolicyWithoutTheComponentAdmitsTheCallButNotItsComponent) {
  Rules(/*names_component=*/false);
  absl::StatusOr<CallAdmission::Admitted> admitted =
      admission_.Admit(Context("k1", kAppid), kMethod);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->component, nullptr);
  EXPECT_EQ(admitted->component_refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(admitted->component_refused), "CALLER_NOT_ALLOWED");
  EXPECT_NE(admitted->component_refused.message().find(kComponent), std::string::npos);
}

TEST_F(ComponentAdmissionTest, ACallNamingNoAccountIsAdmittedForItsComponentAlone) {
  Rules(/*names_component=*/true);
  absl::StatusOr<CallAdmission::Admitted> admitted = admission_.Admit(Context("k1", ""), kMethod);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->account, nullptr);
  EXPECT_EQ(ReasonOf(admitted->account_refused), "NO_DEFAULT_ACCOUNT");
  ASSERT_NE(admitted->component, nullptr);
  EXPECT_EQ(admitted->component->appid, kComponent);

  Rules(/*names_component=*/false);
  EXPECT_EQ(ReasonOf(admission_.Admit(Context("k1", ""), kMethod).status()), "CALLER_NOT_ALLOWED");
  EXPECT_EQ(ReasonOf(admission_.Admit(Context("", ""), kMethod).status()),
            "CALLER_UNAUTHENTICATED");
}

TEST_F(ComponentAdmissionTest, AnUnknownComponentNamedInMetadataRefusesTheCall) {
  Rules(/*names_component=*/true);
  absl::Status status = admission_.Admit(WithComponent("wx00000000000000ff"), kMethod).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(status), "UNKNOWN_APPID");
}

}  // namespace
}  // namespace wxgate

namespace wxgate {
namespace {

// --- Accounts that authorized a component (authorizers) ------------------------

constexpr char kPlatform[] = "wx00000000000000c1";
constexpr char kSecondPlatform[] = "wx00000000000000c2";
constexpr char kAuthorizer[] = "wx00000000000000a1";

class AuthorizerAdmissionTest : public CallAdmissionTest {
 protected:
  // The shop caller, allowed `appid` (an authorizer, or a component for all of them).
  void Allow(const std::string& appid) {
    config::v1::Access access = ShopOnly();
    access.mutable_callers(0)->mutable_policy()->add_appids(appid);
    admission_.ReplaceAuthorizer(std::make_shared<const CallerAuthorizer>(access));
  }
  absl::StatusOr<CallAdmission::Admitted> AdmitFor(const std::string& appid,
                                                   const std::string& component = "") {
    grpc::ServerContext& context = Context("k1", appid);
    if (!component.empty()) spouses_.back()->AddClientMetadata("x-wx-component-appid", component);
    return admission_.Admit(context, kMethod);
  }

  ComponentDirectory components_{std::vector<Account>{{.appid = kPlatform, .secret = "s"},
                                                      {.appid = kSecondPlatform, .secret = "s"}}};
  AuthorizerDirectory authorizers_{{{kSecondPlatform, 1}}, 100};
  CallAdmission admission_{accounts_, std::make_shared<const CallerAuthorizer>(ShopOnly()),
                           &components_, &authorizers_};
};

TEST_F(AuthorizerAdmissionTest, AnAuthorizerIsAdmittedWhenThePolicyNamesItOrItsPlatform) {
  Allow(kPlatform);
  absl::StatusOr<CallAdmission::Admitted> admitted = AdmitFor(kAuthorizer, kPlatform);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->account->appid, kAuthorizer);
  ASSERT_NE(admitted->account->component, nullptr);
  EXPECT_EQ(admitted->account->component->appid, kPlatform);
  EXPECT_EQ(admitted->component->appid, kPlatform) << "its platform is the call's component";
  EXPECT_EQ(AdmitFor(kAuthorizer, kPlatform)->account, admitted->account) << "one Account";

  Allow(kAuthorizer);  // the account alone: not the platform's token
  admitted = AdmitFor(kAuthorizer, kPlatform);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->component, nullptr);
}

TEST_F(AuthorizerAdmissionTest, AnotherPlatformsAuthorizersAreNotAllowed) {
  Allow(kSecondPlatform);
  absl::Status refused = AdmitFor(kAuthorizer, kPlatform).status();
  EXPECT_EQ(ReasonOf(refused), "CALLER_NOT_ALLOWED");
}

TEST_F(AuthorizerAdmissionTest, WithSeveralPlatformsTheOneSeenIsChosenElseOneMustBeNamed) {
  Allow("*");
  EXPECT_EQ(ReasonOf(AdmitFor(kAuthorizer).status()), "NO_COMPONENT_CHOSEN");
  ASSERT_TRUE(AdmitFor(kAuthorizer, kPlatform).ok());
  absl::StatusOr<CallAdmission::Admitted> admitted = AdmitFor(kAuthorizer);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->account->component->appid, kPlatform);
}

TEST_F(AuthorizerAdmissionTest, WhatIsNoAppidOrOverTheLimitIsRefused) {
  Allow("*");
  EXPECT_EQ(ReasonOf(AdmitFor("wx00000000000000zz", kPlatform).status()), "UNKNOWN_APPID");
  EXPECT_EQ(ReasonOf(AdmitFor("../../x", kPlatform).status()), "UNKNOWN_APPID");
  ASSERT_TRUE(AdmitFor(kAuthorizer, kSecondPlatform).ok());
  absl::Status over = AdmitFor("wx00000000000000a2", kSecondPlatform).status();
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(over), "TOO_MANY_AUTHORIZERS");
  EXPECT_TRUE(AdmitFor(kAuthorizer, kSecondPlatform).ok()) << "known ones still are";
}

TEST_F(AuthorizerAdmissionTest, WithoutPlatformsAnUnknownAppidStaysUnknown) {
  CallAdmission plain{accounts_, std::make_shared<const CallerAuthorizer>(ShopOnly())};
  absl::Status status = plain.Admit(Context("k1", kAuthorizer), kMethod).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(status), "UNKNOWN_APPID");
}

}  // namespace
}  // namespace wxgate
