#include "service/transcode/endpoint_binding.h"

#include <gtest/gtest.h>

#include <utility>

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
  EXPECT_EQ(binding->credential, CredentialKind::kAccessToken);
  EXPECT_EQ(binding->credential_param, "access_token");
  EXPECT_EQ(binding->body, BODY_KIND_NONE);
  EXPECT_EQ(Names(binding->query_fields),
            (std::vector<std::string>{"openid", "msg_id", "tags", "color", "text"}));
  EXPECT_TRUE(binding->body_fields.empty());
}

// NO_SIDE_EFFECTS is what lets a call go again to another of WeChat's domains.
TEST(EndpointBindingTest, OnlyAMethodWithNoSideEffectsIsRepeatable) {
  absl::StatusOr<EndpointBinding> read = BindEndpoint(Method("Query"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->repeatable);
  absl::StatusOr<EndpointBinding> write = BindEndpoint(Method("Mixed"));
  ASSERT_TRUE(write.ok()) << write.status();
  EXPECT_FALSE(write->repeatable);
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
  EXPECT_EQ(binding->credential, CredentialKind::kAppidSecret);
}

TEST(EndpointBindingTest, EveryAnnotatedCredentialKeepsItsKind) {
  EXPECT_EQ(CredentialKindOf(CREDENTIAL_UNSPECIFIED), CredentialKind::kAccessToken);
  EXPECT_EQ(CredentialKindOf(CREDENTIAL_ACCESS_TOKEN), CredentialKind::kAccessToken);
  EXPECT_EQ(CredentialKindOf(CREDENTIAL_NONE), CredentialKind::kNone);
  EXPECT_EQ(CredentialKindOf(CREDENTIAL_APPID_SECRET), CredentialKind::kAppidSecret);
  EXPECT_EQ(CredentialKindOf(CREDENTIAL_OAUTH_ACCESS_TOKEN), CredentialKind::kOAuthUserToken);
  EXPECT_EQ(CredentialKindOf(CREDENTIAL_COMPONENT_ACCESS_TOKEN),
            CredentialKind::kComponentAccessToken);
  EXPECT_EQ(CredentialKindOf(CREDENTIAL_AUTHORIZER_ACCESS_TOKEN),
            CredentialKind::kAuthorizerAccessToken);
  EXPECT_EQ(BindEndpoint(Method("LegacyParam"))->credential, CredentialKind::kComponentAccessToken);
}

TEST(EndpointBindingTest, InvalidAnnotationsAreRejectedNamingTheMethod) {
  for (const char* name :
       {"NoPattern", "RelativePath", "Streaming", "BadFixedParam", "UrlWithToken"}) {
    absl::StatusOr<EndpointBinding> binding = BindEndpoint(Method(name));
    ASSERT_FALSE(binding.ok()) << name;
    EXPECT_NE(
        binding.status().message().find(std::string("wxgate.testing.v1.SampleService.") + name),
        std::string::npos)
        << binding.status();
  }
}

TEST(EndpointBindingTest, InvalidFileAnnotationsSayWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"UnaryDownload", "server-streaming exactly when it answers a file"},
      {"DownloadWithoutChunk", "exactly one singular wxgate.file.v1.FileChunk"},
      {"DownloadTwoChunks", "exactly one singular wxgate.file.v1.FileChunk"},
      {"StreamedJson", "only an upload"},
      {"FileInJson", "a file goes only in a multipart body"},
      {"MultipartWithoutFile", "needs a wxgate.file.v1.UploadFile field"},
      {"TextWithoutField", "exactly one string field placed in the body"},
      {"HostWithScheme", "bare host name"},
  };
  for (const auto& [name, why] : cases) {
    absl::StatusOr<EndpointBinding> binding = BindEndpoint(Method(name));
    ASSERT_FALSE(binding.ok()) << name;
    EXPECT_NE(binding.status().message().find(why), std::string::npos) << binding.status();
  }
}

TEST(EndpointBindingTest, UploadsSendFilesAsPartsAndOtherFieldsInTheQuery) {
  for (const char* name : {"Upload", "StreamedUpload"}) {
    absl::StatusOr<EndpointBinding> binding = BindEndpoint(Method(name));
    ASSERT_TRUE(binding.ok()) << binding.status();
    EXPECT_EQ(Names(binding->file_fields), std::vector<std::string>{"media"});
    EXPECT_EQ(Names(binding->query_fields), std::vector<std::string>{"type"});
    EXPECT_EQ(Names(binding->body_fields), std::vector<std::string>{"description"});
    EXPECT_EQ(binding->chunk_field, nullptr);
  }
}

TEST(EndpointBindingTest, TextBodyIsItsOneBodyField) {
  absl::StatusOr<EndpointBinding> binding = BindEndpoint(Method("Translate"));
  ASSERT_TRUE(binding.ok()) << binding.status();
  EXPECT_EQ(Names(binding->query_fields), std::vector<std::string>{"lfrom"});
  EXPECT_EQ(Names(binding->body_fields), std::vector<std::string>{"content"});
}

TEST(EndpointBindingTest, DownloadsFindTheirChunkFieldAndHost) {
  absl::StatusOr<EndpointBinding> binding = BindEndpoint(Method("Download"));
  ASSERT_TRUE(binding.ok()) << binding.status();
  ASSERT_NE(binding->chunk_field, nullptr);
  EXPECT_EQ(binding->chunk_field->name(), "file");
  EXPECT_EQ(binding->host, "mp.weixin.qq.com");
  EXPECT_EQ(binding->answer, ANSWER_KIND_JSON_OR_BINARY);
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
