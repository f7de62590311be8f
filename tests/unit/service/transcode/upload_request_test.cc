#include "service/transcode/upload_request.h"

#include <gtest/gtest.h>

#include "service/errors/error_info.h"
#include "transcode_sample.pb.h"

namespace wxgate {
namespace {

using testing::v1::UploadRequest;

EndpointBinding UploadBinding() {
  return *BindEndpoint(*UploadRequest::descriptor()
                            ->file()
                            ->FindServiceByName("SampleService")
                            ->FindMethodByName("StreamedUpload"));
}

UploadRequest Piece(const std::string& content) {
  UploadRequest piece;
  piece.mutable_media()->set_content(content);
  return piece;
}

TEST(UploadAssemblerTest, AppendsContentsAndMergesTheOtherFields) {
  const EndpointBinding binding = UploadBinding();
  UploadRequest request;
  UploadAssembler upload(binding, &request, 100);
  UploadRequest first = Piece("abc");
  first.set_type("image");
  first.mutable_media()->set_filename("a.jpg");
  UploadRequest second = Piece("def");
  UploadRequest third;
  third.mutable_description()->set_name("d");
  UploadRequest fourth = Piece("g");
  fourth.mutable_media()->set_content_type("image/jpeg");
  for (UploadRequest* piece : {&first, &second, &third, &fourth}) {
    ASSERT_TRUE(upload.Add(*piece).ok());
  }
  upload.Finish();
  EXPECT_EQ(request.media().content(), "abcdefg");
  EXPECT_EQ(request.media().filename(), "a.jpg");
  EXPECT_EQ(request.media().content_type(), "image/jpeg");
  EXPECT_EQ(request.type(), "image");
  EXPECT_EQ(request.description().name(), "d");
  EXPECT_EQ(UploadBytes(binding, request), 7u);
}

TEST(UploadAssemblerTest, RefusesOncePastTheLimit) {
  const EndpointBinding binding = UploadBinding();
  UploadRequest request;
  UploadAssembler upload(binding, &request, 5);
  UploadRequest first = Piece("abc"), second = Piece("def");
  ASSERT_TRUE(upload.Add(first).ok());
  absl::Status refused = upload.Add(second);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorInfoOf(refused)->reason(), "UPLOAD_TOO_LARGE");
  EXPECT_TRUE(CheckUploadSize(5, 5).ok());
  EXPECT_FALSE(CheckUploadSize(6, 5).ok());
}

}  // namespace
}  // namespace wxgate
