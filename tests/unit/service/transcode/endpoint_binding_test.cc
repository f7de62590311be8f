#include "service/transcode/endpoint_binding.h"

#include <gtest/gtest.h>

#include "transcode_sample.pb.h"

namespace wxgate {
namespace {

const google::protobuf::MethodDescriptor& Method(const std::string& name) {
  return *testing::v1::Sample::descriptor()
              ->file()
              ->FindServiceByName("SampleService")
              ->FindMethodByName(name);
}

std::vector<std::string> Names(
    const std::vector<const google::protobuf::FieldDescriptor*>& fields) {
  std::vector<std::string> names;
  for (const auto* field : fields) names.push_back(field->name());
  return names;
}

TEST(EndpointBindingTest, GetPutsEveryFieldInTheQuery) {
  absl::StatusOr<EndpointBinding> binding = BindEndpoint(Method("Query"));
  ASSERT_TRUE(binding.ok()) << binding.status();
  EXPECT_EQ(binding->http_method, "GET");
  EXPECT_EQ(binding->path, "/test/query");
  EXPECT_EQ(binding->credential, CREDENTIAL_ACCESS_TOKEN);
  EXPECT_EQ(binding->credential_param, "access_token");
  EXPECT_EQ(binding->body, BODY_KIND_NONE);
  EXPECT_EQ(Names(binding->query_fields),
            (std::vector<std::string>{"openid", "msg_id", "tags", "color", "text"}));
  EXPECT_TRUE(binding->body_fields.empty());
}

TEST(EndpointBindingTest, PostHonoursPerFieldPlacement) {
  absl::StatusOr<EndpointBinding> binding = BindEndpoint(Method("Mixed"));
  ASSERT_TRUE(binding.ok()) << binding.status();
  EXPECT_EQ(binding->body, BODY_KIND_JSON);
  EXPECT_EQ(Names(binding->query_fields), std::vector<std::string>{"type"});
  EXPECT_EQ(Names(binding->body_fields), (std::vector<std::string>{"inner", "appid"}));
  EXPECT_EQ(binding->appid_param, "appid");
}

TEST(EndpointBindingTest, AppidSecretDefaultsItsParameterNames) {
  absl::StatusOr<EndpointBinding> binding = BindEndpoint(Method("SecretInQuery"));
  ASSERT_TRUE(binding.ok());
  EXPECT_EQ(binding->appid_param, "appid");
  EXPECT_EQ(binding->secret_param, "secret");
  EXPECT_FALSE(binding->SendsToken());
}

TEST(EndpointBindingTest, InvalidAnnotationsAreRejectedNamingTheMethod) {
  for (const char* name : {"NoPattern", "RelativePath", "Streaming", "BadFixedParam"}) {
    absl::StatusOr<EndpointBinding> binding = BindEndpoint(Method(name));
    ASSERT_FALSE(binding.ok()) << name;
    EXPECT_NE(
        binding.status().message().find(std::string("wxgate.testing.v1.SampleService.") + name),
        std::string::npos)
        << binding.status();
  }
}

TEST(EndpointBindingTest, MessageFieldsMayGoInTheQuery) {
  absl::StatusOr<EndpointBinding> binding = BindEndpoint(Method("GetWithMessageField"));
  ASSERT_TRUE(binding.ok()) << binding.status();
  EXPECT_EQ(Names(binding->query_fields), (std::vector<std::string>{"type", "inner", "appid"}));
}

TEST(EndpointBindingTest, UnannotatedMethodsHaveNoEndpoint) {
  EXPECT_FALSE(HasEndpoint(Method("Unannotated")));
  EXPECT_TRUE(HasEndpoint(Method("Query")));
}

}  // namespace
}  // namespace wxgate
