// Which third-party platform a call needing a component_access_token acts as, and
// the account its credential then comes from (CredentialAccount).
#include "service/call/component_directory.h"

#include <gtest/gtest.h>

#include "service/call/admitted_service.h"
#include "service/errors/error_info.h"

namespace wxgate {
namespace {

constexpr char kC1[] = "wx00000000000000c1";
constexpr char kC2[] = "wx00000000000000c2";

TEST(ComponentDirectoryTest, TheOnlyComponentIsChosenWithoutMetadata) {
  ComponentDirectory directory(std::vector<Account>{{.appid = kC1, .secret = "s"}});
  EXPECT_EQ((*directory.Find(""))->appid, kC1);
  EXPECT_EQ((*directory.Find("WX00000000000000C1"))->appid, kC1) << "appids match in any case";
}

TEST(ComponentDirectoryTest, SeveralComponentsNeedTheCallToNameOne) {
  ComponentDirectory directory(std::vector<Account>{{.appid = kC1}, {.appid = kC2}});
  EXPECT_EQ((*directory.Find(kC2))->appid, kC2);
  absl::Status status = directory.Find("").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "NO_COMPONENT_CHOSEN");
  EXPECT_NE(status.message().find("x-wx-component-appid"), std::string::npos);
}

TEST(ComponentDirectoryTest, NoComponentConfiguredSaysSo) {
  ComponentDirectory directory(std::vector<Account>{});
  absl::Status status = directory.Find("").status();
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "NO_COMPONENT_CHOSEN");
  EXPECT_NE(status.message().find("components"), std::string::npos);
}

TEST(ComponentDirectoryTest, AnUnknownComponentIsNotFoundNamingIt) {
  ComponentDirectory directory(std::vector<Account>{{.appid = kC1}});
  absl::Status status = directory.Find("wxdeadbeefdeadbeef").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UNKNOWN_APPID");
  EXPECT_NE(status.message().find("wxdeadbeefdeadbeef"), std::string::npos);
}

TEST(CredentialAccountTest, ComponentTokensComeFromTheComponentOthersFromTheAccount) {
  const Account account{.appid = "wx0000000000000001"};
  const Account component{.appid = kC1};
  AdmittedCall call{.account = &account, .component = &component};
  EXPECT_EQ(*CredentialAccount(call, CredentialKind::kAccessToken), &account);
  EXPECT_EQ(*CredentialAccount(call, CredentialKind::kAppidSecret), &account);
  EXPECT_EQ(*CredentialAccount(call, CredentialKind::kComponentAccessToken), &component);

  AdmittedCall without{.account = &account,
                       .component_refused = absl::PermissionDeniedError("not in the policy")};
  absl::StatusOr<const Account*> refused =
      CredentialAccount(without, CredentialKind::kComponentAccessToken);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(*CredentialAccount(without, CredentialKind::kAccessToken), &account)
      << "a call that needs no component is not refused for it";
}

}  // namespace
}  // namespace wxgate
