// Files through the gateway: multipart uploads (unary and client-streamed) and
// downloads streamed back in chunks, against the fake WeChat over real HTTPS.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "service/server/download_reactor.h"
#include "tests/fake_wechat/multipart_form.h"
#include "tests/integration/gateway_harness.h"
#include "tests/integration/generic_stream_call.h"
#include "wechat/mp/v1/ai.grpc.pb.h"
#include "wechat/mp/v1/material.grpc.pb.h"
#include "wechat/mp/v1/ocr.grpc.pb.h"

namespace wxgate::testing {
namespace {

using wechat::mp::v1::AiService;
using wechat::mp::v1::MaterialService;
using wechat::mp::v1::OcrService;

constexpr char kUploadPath[] = "/cgi-bin/media/upload";
constexpr char kGetMediaPath[] = "/cgi-bin/media/get";

// Bytes that no text codec would pass through unchanged: every byte value, repeated.
std::string FileOfSize(size_t size) {
  std::string file(size, '\0');
  for (size_t i = 0; i < size; ++i) file[i] = static_cast<char>((i * 131 + i / 256) % 256);
  return file;
}

// Sends `file` to UploadMedia in pieces of `piece` bytes; the first carries the rest.
grpc::Status StreamUpload(std::shared_ptr<grpc::Channel> channel, const std::string& file,
                          size_t piece, wechat::mp::v1::UploadMediaResponse* response) {
  auto stub = MaterialService::NewStub(std::move(channel));
  std::unique_ptr<grpc::ClientContext> context = ContextFor(kAppidA);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto writer = stub->UploadMedia(context.get(), response);
  for (size_t offset = 0; offset < file.size(); offset += piece) {
    wechat::mp::v1::UploadMediaRequest request;
    if (offset == 0) {
      request.set_type(wechat::mp::v1::MATERIAL_MEDIA_TYPE_IMAGE);
      request.mutable_media()->set_filename("big.jpg");
      request.mutable_media()->set_content_type("image/jpeg");
    }
    request.mutable_media()->set_content(file.substr(offset, piece));
    if (!writer->Write(request)) break;  // the gateway refused: Finish says why
  }
  writer->WritesDone();
  return writer->Finish();
}

std::map<std::string, fake::FormPart> PartsOf(const fake::FakeWeChat::Request& request) {
  auto parts = fake::ParseMultipartForm(request.headers.at("content-type"), request.body);
  EXPECT_TRUE(parts.ok()) << parts.status();
  return parts.ok() ? *parts : std::map<std::string, fake::FormPart>{};
}

TEST(FileTransferTest, StreamedUploadReachesWeChatWhole) {
  GatewayHarness harness;
  const std::string file = FileOfSize((1 << 20) + 7);
  wechat::mp::v1::UploadMediaResponse response;
  grpc::Status status = StreamUpload(harness.channel(), file, 64 << 10, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.media_id(),
            "J6Yp0Ao6lsv2Bq9WEbPGXk6gLCrKBmMuHwq0ZFxYzmA8qHnLRgM1u5bJ3HbOHk9e");

  std::optional<fake::FakeWeChat::Request> sent = harness.fake().LastRequest(kUploadPath);
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->query.at("type"), "image");
  std::map<std::string, fake::FormPart> parts = PartsOf(*sent);
  ASSERT_TRUE(parts.contains("media"));
  EXPECT_EQ(parts["media"].filename, "big.jpg");
  EXPECT_EQ(parts["media"].content_type, "image/jpeg");
  EXPECT_TRUE(parts["media"].content == file) << "the file changed on its way";
}

TEST(FileTransferTest, UploadsOverTheLimitNeverReachWeChat) {
  GatewayHarness harness({.max_upload_bytes = 100 << 10});
  wechat::mp::v1::UploadMediaResponse response;
  grpc::Status streamed =
      StreamUpload(harness.channel(), FileOfSize(300 << 10), 64 << 10, &response);
  EXPECT_EQ(streamed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ErrorInfoFrom(streamed).reason(), "UPLOAD_TOO_LARGE");

  auto ocr = OcrService::NewStub(harness.channel());
  wechat::mp::v1::RecognizeIdcardRequest request;
  request.mutable_img()->set_content(FileOfSize(101 << 10));
  wechat::mp::v1::RecognizeIdcardResponse answer;
  grpc::Status unary = ocr->RecognizeIdcard(ContextFor(kAppidA).get(), request, &answer);
  EXPECT_EQ(unary.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ErrorInfoFrom(unary).reason(), "UPLOAD_TOO_LARGE");
  EXPECT_EQ(harness.fake().CallCount(kUploadPath), 0);
  EXPECT_EQ(harness.fake().CallCount("/cv/ocr/idcard"), 0);
}

TEST(FileTransferTest, UnaryUploadSendsItsFileAndQuery) {
  GatewayHarness harness;
  auto ocr = OcrService::NewStub(harness.channel());
  wechat::mp::v1::RecognizeIdcardRequest request;
  request.set_type(wechat::mp::v1::OCR_IDCARD_MODE_PHOTO);
  request.mutable_img()->set_filename("id.png");
  request.mutable_img()->set_content(FileOfSize(5000));
  wechat::mp::v1::RecognizeIdcardResponse answer;
  grpc::Status status = ocr->RecognizeIdcard(ContextFor(kAppidA).get(), request, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answer.name(), "张三");
  std::optional<fake::FakeWeChat::Request> sent = harness.fake().LastRequest("/cv/ocr/idcard");
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->query.at("type"), "photo");
  EXPECT_EQ(PartsOf(*sent)["img"].content, FileOfSize(5000));
}

TEST(FileTransferTest, TextBodyTravelsAsPlainText) {
  GatewayHarness harness;
  auto ai = AiService::NewStub(harness.channel());
  wechat::mp::v1::TranslateContentRequest request;
  request.set_lfrom(wechat::mp::v1::AI_LANGUAGE_ZH_CN);
  request.set_lto(wechat::mp::v1::AI_LANGUAGE_EN_US);
  request.set_content("你好，世界");
  wechat::mp::v1::TranslateContentResponse answer;
  grpc::Status status = ai->TranslateContent(ContextFor(kAppidA).get(), request, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answer.to_content(), "Hello");
  std::optional<fake::FakeWeChat::Request> sent =
      harness.fake().LastRequest("/cgi-bin/media/voice/translatecontent");
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->body, "你好，世界");
  EXPECT_EQ(sent->headers.at("content-type"), "text/plain; charset=utf-8");
}

// Reads every message of a GetMedia call.
grpc::Status Download(GatewayHarness& harness,
                      std::vector<wechat::mp::v1::GetMediaResponse>* responses) {
  auto stub = MaterialService::NewStub(harness.channel());
  std::unique_ptr<grpc::ClientContext> context = ContextFor(kAppidA);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  wechat::mp::v1::GetMediaRequest request;
  request.set_media_id("MEDIA_ID");
  auto reader = stub->GetMedia(context.get(), request);
  wechat::mp::v1::GetMediaResponse response;
  while (reader->Read(&response)) responses->push_back(response);
  return reader->Finish();
}

TEST(FileTransferTest, DownloadArrivesInChunks) {
  GatewayHarness harness;
  const std::string file = FileOfSize(4 * kDownloadChunkBytes + 5);
  harness.fake().InjectFailure(kGetMediaPath, fake::Failure::File("image/jpeg", file));
  std::vector<wechat::mp::v1::GetMediaResponse> responses;
  grpc::Status status = Download(harness, &responses);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(responses.size(), 5u);
  EXPECT_EQ(responses[0].file().content_type(), "image/jpeg");
  EXPECT_EQ(responses[0].file().size(), static_cast<int64_t>(file.size()));
  std::string received;
  for (const auto& response : responses) received += response.file().data();
  EXPECT_TRUE(received == file) << "the file changed on its way";
  EXPECT_EQ(responses[1].file().content_type(), "") << "only the first chunk describes the file";
}

TEST(FileTransferTest, JsonAnswerOfADownloadIsOneMessage) {
  GatewayHarness harness;
  harness.fake().InjectFailure(
      kGetMediaPath,
      fake::Failure::File("application/json", R"({"video_url":"http://example.com/v.mp4"})"));
  std::vector<wechat::mp::v1::GetMediaResponse> responses;
  grpc::Status status = Download(harness, &responses);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].video_url(), "http://example.com/v.mp4");
  EXPECT_FALSE(responses[0].has_file());
}

TEST(FileTransferTest, DownloadErrorsAreWeChatErrorsWithNoData) {
  GatewayHarness harness;
  harness.fake().InjectFailure(kGetMediaPath,
                               fake::Failure::Errcode(40007, "invalid media_id rid: r1"));
  std::vector<wechat::mp::v1::GetMediaResponse> responses;
  grpc::Status status = Download(harness, &responses);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "WECHAT_40007");
  EXPECT_TRUE(responses.empty());
}

TEST(FileTransferTest, DownloadRetriesOnceWithAFreshToken) {
  GatewayHarness harness;
  std::vector<wechat::mp::v1::GetMediaResponse> first, second;
  ASSERT_TRUE(Download(harness, &first).ok());
  harness.fake().RevokeAccessTokens(kAppidA);
  grpc::Status status = Download(harness, &second);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(harness.fake().CallCount(kGetMediaPath), 3) << "one refused, one retried";
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(second[0].file().data(), "JPEG bytes of temporary media J6Yp0Ao6lsv2Bq9WEbPG");
}

TEST(FileTransferTest, MalformedPieceEndsTheUpload) {
  GatewayHarness harness;
  GenericStreamCall call(harness.channel(), "/wechat.mp.v1.MaterialService/UploadMedia",
                         {std::string("\xff\xff\xff", 3)});
  ASSERT_TRUE(call.Wait());
  EXPECT_EQ(call.status().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoFrom(call.status()).reason(), "MALFORMED_REQUEST");
  EXPECT_EQ(harness.fake().CallCount(kUploadPath), 0);
}

TEST(FileTransferTest, UploadsAreAdmittedBeforeAnyPieceIsRead) {
  config::v1::Access nobody;  // no callers, no anonymous access
  GatewayHarness harness({.access = nobody});
  wechat::mp::v1::UploadMediaResponse response;
  grpc::Status status = StreamUpload(harness.channel(), FileOfSize(10), 64 << 10, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(harness.fake().CallCount(kUploadPath), 0);
  std::vector<wechat::mp::v1::GetMediaResponse> responses;
  EXPECT_EQ(Download(harness, &responses).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace wxgate::testing
