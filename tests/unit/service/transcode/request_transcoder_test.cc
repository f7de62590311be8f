// TranscodeRequest, checked through the HTTP request BuildHttpRequest makes of it.
#include "service/transcode/request_transcoder.h"

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"
#include "transcode_sample.pb.h"

namespace wxgate {
namespace {

using nlohmann::json;

EndpointBinding Bind(const std::string& method) {
  return *BindEndpoint(*testing::v1::Sample::descriptor()
                            ->file()
                            ->FindServiceByName("SampleService")
                            ->FindMethodByName(method));
}

const CallCredential kCredential{
    .token = "TOKEN", .appid = "wx0011223344556677", .secret = "SECRET"};

// The call as it goes upstream, with the credential of the kind the binding needs.
absl::StatusOr<HttpRequest> BuildHttpRequest(const EndpointBinding& binding,
                                             const google::protobuf::Message& request,
                                             absl::string_view base_url, CallCredential credential,
                                             absl::Duration timeout) {
  absl::StatusOr<UpstreamRequest> upstream = TranscodeRequest(binding, request);
  if (!upstream.ok()) return upstream.status();
  credential.kind = binding.credential;
  return wxgate::BuildHttpRequest(*upstream, base_url, credential, timeout);
}

TEST(RequestTranscoderTest, GetEncodesQueryWithTokenFirst) {
  testing::v1::QueryRequest request;
  request.set_openid("o 1&x");
  request.set_msg_id(9223372036854775807LL);
  request.add_tags("a");
  request.add_tags("b");
  request.set_color(testing::v1::COLOR_RED);
  absl::StatusOr<HttpRequest> http =
      BuildHttpRequest(Bind("Query"), request, "https://api.test", kCredential, absl::Seconds(2));
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->method, "GET");
  EXPECT_EQ(http->url,
            "https://api.test/test/query?access_token=TOKEN&openid=o%201%26x"
            "&msg_id=9223372036854775807&tags=a&tags=b&color=red");
  EXPECT_TRUE(http->body.empty());
  EXPECT_EQ(http->timeout, absl::Seconds(2));
  EXPECT_TRUE(http->repeatable) << "Query has no side effects: it may go to another domain";
}

TEST(RequestTranscoderTest, PostSplitsQueryAndBodyAndFillsAppid) {
  testing::v1::MixedRequest request;
  request.set_type("news");
  request.mutable_inner()->set_name("名字");
  absl::StatusOr<HttpRequest> http =
      BuildHttpRequest(Bind("Mixed"), request, "https://api.test", kCredential, absl::Seconds(2));
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->method, "POST");
  EXPECT_EQ(http->url, "https://api.test/test/mixed?action=x&access_token=TOKEN&type=news");
  EXPECT_EQ(http->content_type, "application/json; charset=utf-8");
  EXPECT_EQ(json::parse(http->body),
            json({{"inner", {{"name", "名字"}}}, {"appid", "wx0011223344556677"}}));
  EXPECT_NE(http->body.find("名字"), std::string::npos) << "UTF-8 is sent as is";
  EXPECT_FALSE(http->repeatable) << "a write";
}

TEST(RequestTranscoderTest, CallerAppidWins) {
  testing::v1::MixedRequest request;
  request.set_appid("wxffffffffffffffff");
  absl::StatusOr<HttpRequest> http =
      BuildHttpRequest(Bind("Mixed"), request, "https://api.test", kCredential, absl::Seconds(2));
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(json::parse(http->body), json({{"appid", "wxffffffffffffffff"}}));
}

TEST(RequestTranscoderTest, AppidSecretGoesToBodyForPostAndQueryForGet) {
  testing::v1::Empty empty;
  absl::StatusOr<HttpRequest> post = BuildHttpRequest(Bind("WithSecret"), empty, "https://api.test",
                                                      kCredential, absl::Seconds(2));
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->url, "https://api.test/test/secret");
  EXPECT_EQ(json::parse(post->body),
            json({{"appid", "wx0011223344556677"}, {"appsecret", "SECRET"}}));

  absl::StatusOr<HttpRequest> get = BuildHttpRequest(
      Bind("SecretInQuery"), empty, "https://api.test", kCredential, absl::Seconds(2));
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->url, "https://api.test/test/token?appid=wx0011223344556677&secret=SECRET");
}

TEST(RequestTranscoderTest, FixedParamsGoWithTheOthersUnlessTheRequestSetsThem) {
  testing::v1::QueryRequest request;
  EXPECT_EQ(
      BuildHttpRequest(Bind("FixedParams"), request, "https://a", kCredential, absl::Seconds(1))
          ->url,
      "https://a/test/fixed?grant_type=code&text=x");
  request.set_text("mine");
  EXPECT_EQ(
      BuildHttpRequest(Bind("FixedParams"), request, "https://a", kCredential, absl::Seconds(1))
          ->url,
      "https://a/test/fixed?text=mine&grant_type=code");
  testing::v1::Empty empty;
  absl::StatusOr<HttpRequest> post = BuildHttpRequest(Bind("FixedParamsInBody"), empty, "https://a",
                                                      kCredential, absl::Seconds(1));
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(json::parse(post->body), json({{"mode", "1"}}));
}

TEST(RequestTranscoderTest, NoCredentialAndLegacyParameterName) {
  testing::v1::QueryRequest request;
  request.set_text("t");
  EXPECT_EQ(
      BuildHttpRequest(Bind("NoCredential"), request, "https://a", kCredential, absl::Seconds(1))
          ->url,
      "https://a/test/open?text=t");
  EXPECT_EQ(
      BuildHttpRequest(Bind("LegacyParam"), request, "https://a", kCredential, absl::Seconds(1))
          ->url,
      "https://a/test/legacy?component_access_token=TOKEN&text=t");
}

TEST(RequestTranscoderTest, MessagesInTheQueryTravelAsJson) {
  testing::v1::MixedRequest request;
  request.mutable_inner()->set_name("n");
  request.mutable_inner()->add_ids(3);
  EXPECT_EQ(BuildHttpRequest(Bind("GetWithMessageField"), request, "https://a", kCredential,
                             absl::Seconds(1))
                ->url,
            "https://a/test/"
            "bad?access_token=TOKEN&inner=%7B%22ids%22%3A%5B3%5D%2C%22name%22%3A%22n%22%7D");
}

}  // namespace
}  // namespace wxgate

namespace wxgate {
namespace {

TEST(RequestTranscoderTest, UploadSendsFilesAndFormFieldsAsParts) {
  testing::v1::UploadRequest request;
  request.set_type("video");
  request.mutable_media()->set_filename("clip.mp4");
  request.mutable_media()->set_content_type("video/mp4");
  request.mutable_media()->set_content(std::string("\0\x01mp4", 5));
  request.mutable_description()->set_name("标题");
  absl::StatusOr<HttpRequest> http =
      BuildHttpRequest(Bind("Upload"), request, "https://api.test", kCredential, absl::Seconds(2));
  ASSERT_TRUE(http.ok()) << http.status();
  EXPECT_EQ(http->url, "https://api.test/test/upload?access_token=TOKEN&type=video");
  const std::string prefix = "multipart/form-data; boundary=";
  ASSERT_EQ(http->content_type.rfind(prefix, 0), 0u) << http->content_type;
  const std::string boundary = http->content_type.substr(prefix.size());
  EXPECT_EQ(http->body,
            "--" + boundary +
                "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"clip.mp4\"\r\n"
                "Content-Type: video/mp4\r\n\r\n" +
                std::string("\0\x01mp4", 5) + "\r\n--" + boundary +
                "\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n"
                "{\"name\":\"标题\"}\r\n--" +
                boundary + "--\r\n");
}

TEST(RequestTranscoderTest, UploadNamesAFileWithoutNameAndNeutralisesQuotes) {
  testing::v1::UploadRequest request;
  request.mutable_media()->set_content("x");
  absl::StatusOr<HttpRequest> unnamed =
      BuildHttpRequest(Bind("Upload"), request, "https://api.test", kCredential, absl::Seconds(2));
  ASSERT_TRUE(unnamed.ok());
  EXPECT_NE(unnamed->body.find("name=\"media\"; filename=\"media\"\r\n"
                               "Content-Type: application/octet-stream"),
            std::string::npos)
      << unnamed->body;

  request.mutable_media()->set_filename("a\"\r\nX-Injected: 1.jpg");
  absl::StatusOr<HttpRequest> quoted =
      BuildHttpRequest(Bind("Upload"), request, "https://api.test", kCredential, absl::Seconds(2));
  ASSERT_TRUE(quoted.ok());
  EXPECT_NE(quoted->body.find("filename=\"a___X-Injected: 1.jpg\""), std::string::npos)
      << quoted->body;

  request.mutable_media()->set_content_type("image/jpeg\r\nX-Injected: 1");
  absl::StatusOr<HttpRequest> refused =
      BuildHttpRequest(Bind("Upload"), request, "https://api.test", kCredential, absl::Seconds(2));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RequestTranscoderTest, TextBodyIsTheTextAlone) {
  testing::v1::TextRequest request;
  request.set_lfrom("zh_CN");
  request.set_content("你好 & bye");
  absl::StatusOr<HttpRequest> http = BuildHttpRequest(
      Bind("Translate"), request, "https://api.test", kCredential, absl::Seconds(2));
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->url, "https://api.test/test/text?access_token=TOKEN&lfrom=zh_CN");
  EXPECT_EQ(http->content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(http->body, "你好 & bye");
}

}  // namespace
}  // namespace wxgate
