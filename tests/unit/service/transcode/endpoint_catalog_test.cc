// DiscoverEndpoints over the descriptor pool linked into this binary: the annotated
// WeChat services with their bindings, sorted, and nothing unannotated.
#include "service/transcode/endpoint_catalog.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wechat/mp/v1/user.pb.h"
#include "wxgate/v1/raw.pb.h"

namespace wxgate {
namespace {

using ::testing::Contains;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

std::vector<std::string> NamesOf(const std::vector<ServiceEndpoints>& found) {
  std::vector<std::string> names;
  for (const ServiceEndpoints& entry : found) names.push_back(entry.service->full_name());
  return names;
}

const ServiceEndpoints* Find(const std::vector<ServiceEndpoints>& found, absl::string_view name) {
  for (const ServiceEndpoints& entry : found) {
    if (entry.service->full_name() == name) return &entry;
  }
  return nullptr;
}

const EndpointBinding* BindingOf(const ServiceEndpoints& entry, absl::string_view method) {
  for (const EndpointBinding& binding : entry.bindings) {
    if (binding.method->name() == method) return &binding;
  }
  return nullptr;
}

const google::protobuf::ServiceDescriptor* UserServiceDescriptor() {
  return wechat::mp::v1::GetUserInfoRequest::descriptor()->file()->FindServiceByName("UserService");
}

class EndpointCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Both files must be in the generated pool for the test to mean anything.
    ASSERT_NE(UserServiceDescriptor(), nullptr);
    ASSERT_NE(v1::CallRequest::descriptor()->file()->FindServiceByName("RawService"), nullptr);
    absl::StatusOr<std::vector<ServiceEndpoints>> found = DiscoverEndpoints();
    ASSERT_TRUE(found.ok()) << found.status();
    found_ = *std::move(found);
  }

  std::vector<ServiceEndpoints> found_;
};

TEST_F(EndpointCatalogTest, FindsTheAnnotatedWeChatServicesSorted) {
  const std::vector<std::string> names = NamesOf(found_);
  EXPECT_THAT(names, IsSupersetOf({"wechat.mp.v1.BasicService", "wechat.mp.v1.OpenApiService",
                                   "wechat.mp.v1.TagService", "wechat.mp.v1.UserService"}));
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "listed twice";
}

TEST_F(EndpointCatalogTest, LeavesOutServicesWithoutAnnotations) {
  const std::vector<std::string> names = NamesOf(found_);
  EXPECT_THAT(names, Not(Contains("wxgate.v1.RawService")));
  EXPECT_THAT(names, Not(Contains("grpc.health.v1.Health")));
  for (const ServiceEndpoints& entry : found_) {
    SCOPED_TRACE(entry.service->full_name());
    EXPECT_FALSE(entry.bindings.empty());
    for (const EndpointBinding& binding : entry.bindings) {
      ASSERT_NE(binding.method, nullptr);
      EXPECT_EQ(binding.method->service(), entry.service);
      EXPECT_TRUE(HasEndpoint(*binding.method)) << binding.method->full_name();
    }
  }
}

TEST_F(EndpointCatalogTest, ListsEveryAnnotatedMethodOfAServiceOnce) {
  const ServiceEndpoints* user = Find(found_, "wechat.mp.v1.UserService");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->service, UserServiceDescriptor());
  std::vector<const google::protobuf::MethodDescriptor*> declared, bound;
  for (int i = 0; i < user->service->method_count(); ++i) {
    declared.push_back(user->service->method(i));
  }
  for (const EndpointBinding& binding : user->bindings) bound.push_back(binding.method);
  EXPECT_GE(declared.size(), 8u);
  EXPECT_THAT(bound, UnorderedElementsAreArray(declared));
}

TEST_F(EndpointCatalogTest, BindingsCarryTheAnnotations) {
  const ServiceEndpoints* user = Find(found_, "wechat.mp.v1.UserService");
  ASSERT_NE(user, nullptr);
  const EndpointBinding* info = BindingOf(*user, "GetUserInfo");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->http_method, "GET");
  EXPECT_EQ(info->path, "/cgi-bin/user/info");
  EXPECT_EQ(info->credential, CredentialKind::kAccessToken);
  EXPECT_EQ(info->credential_param, "access_token");

  const EndpointBinding* batch = BindingOf(*user, "BatchGetUserInfo");
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->http_method, "POST");
  EXPECT_EQ(batch->path, "/cgi-bin/user/info/batchget");
  EXPECT_EQ(batch->body, BODY_KIND_JSON);

  const ServiceEndpoints* openapi = Find(found_, "wechat.mp.v1.OpenApiService");
  ASSERT_NE(openapi, nullptr);
  const EndpointBinding* clear = BindingOf(*openapi, "ClearQuotaByAppSecret");
  ASSERT_NE(clear, nullptr);
  EXPECT_EQ(clear->credential, CredentialKind::kAppidSecret);
  EXPECT_EQ(clear->appid_param, "appid");
  EXPECT_EQ(clear->secret_param, "appsecret");  // as WeChat spells it there
}

TEST_F(EndpointCatalogTest, AMethodsOwnPermissionSetsReplaceItsServices) {
  const ServiceEndpoints* kf = Find(found_, "wechat.mp.v1.KfService");
  ASSERT_NE(kf, nullptr);
  const EndpointBinding* send = BindingOf(*kf, "SendCustomMessage");
  const EndpointBinding* accounts = BindingOf(*kf, "ListKfAccounts");
  ASSERT_NE(send, nullptr);
  ASSERT_NE(accounts, nullptr);
  EXPECT_EQ(send->permission_sets, std::vector<int>{1}) << "message management";
  EXPECT_EQ(accounts->permission_sets, std::vector<int>{6}) << "multi-customer service";

  const ServiceEndpoints* component = Find(found_, "wechat.open.v1.ComponentService");
  ASSERT_NE(component, nullptr);
  const EndpointBinding* page = BindingOf(*component, "BuildComponentLoginPageUrl");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->component_appid_param, "component_appid");
  EXPECT_EQ(page->appid_param, "") << "the account's appid is not the platform's";
}

}  // namespace
}  // namespace wxgate
