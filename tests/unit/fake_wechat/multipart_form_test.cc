#include "tests/fake_wechat/multipart_form.h"

#include <gtest/gtest.h>

#include "service/transcode/multipart_body.h"

namespace wxgate::fake {
namespace {

// The gateway's encoder and the fake's parser were written apart: each checks the other.
TEST(MultipartFormTest, ReadsWhatTheGatewayWrites) {
  const std::string binary("\0\r\n--not-a-boundary\xff", 21);
  absl::StatusOr<MultipartBody> encoded = EncodeMultipart(
      {{.name = "media", .filename = "a.jpg", .content_type = "image/jpeg", .content = binary},
       {.name = "description", .content = R"({"title":"t"})"}},
      NewBoundary());
  ASSERT_TRUE(encoded.ok());
  auto parts = ParseMultipartForm(encoded->content_type, encoded->body);
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ(parts->at("media").filename, "a.jpg");
  EXPECT_EQ(parts->at("media").content_type, "image/jpeg");
  EXPECT_EQ(parts->at("media").content, binary);
  EXPECT_EQ(parts->at("description").filename, "");
  EXPECT_EQ(parts->at("description").content, R"({"title":"t"})");
}

TEST(MultipartFormTest, MalformedBodiesSayWhatIsWrong) {
  const std::string type = "multipart/form-data; boundary=b";
  EXPECT_EQ(ParseMultipartForm("application/json", "{}").status().message(),
            "expected multipart/form-data, got \"application/json\"");
  EXPECT_EQ(ParseMultipartForm("multipart/form-data", "").status().message(),
            "malformed multipart body: no boundary in the content type");
  EXPECT_EQ(ParseMultipartForm(type, "junk").status().message(),
            "malformed multipart body: does not start with the boundary");
  EXPECT_EQ(ParseMultipartForm(type, "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--")
                .status()
                .message(),
            "malformed multipart body: a part has no name");
  EXPECT_EQ(ParseMultipartForm(type, "--b\r\nContent-Disposition: form-data; name=\"m\"\r\n\r\nx")
                .status()
                .message(),
            "malformed multipart body: no closing boundary");
  EXPECT_TRUE(ParseMultipartForm(type, "--b--\r\n")->empty());
}

}  // namespace
}  // namespace wxgate::fake
