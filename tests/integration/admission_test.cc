// Admission is the first stage of every call, whatever its shape: a caller with no
// key or a wrong key is UNAUTHENTICATED before its payload is looked at (a
// malformed payload does not change the answer), a known caller with a malformed
// payload is INVALID_ARGUMENT MALFORMED_REQUEST, and nothing goes upstream.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/gateway_harness.h"
#include "tests/integration/generic_stream_call.h"
#include "wechat/mp/v1/material.pb.h"
#include "wechat/mp/v1/user.pb.h"
#include "wxgate/v1/event.pb.h"
#include "wxgate/v1/raw.pb.h"
#include "wxgate/v1/token.pb.h"

namespace wxgate::testing {
namespace {

// SHA-256 of "admission-key" (Python's hashlib).
constexpr char kKey[] = "admission-key";
constexpr char kKeyHash[] = "7ced4bbd7b19d098309784bebc516d0cabb5b368c440ffee62f68cb041747cc9";

// A field 1 of length 5 with 2 bytes: no message parses from it.
const std::string kMalformed(
    "\x0a\x05"
    "ab",
    4);

struct Shape {
  std::string name;
  std::string method;
  std::string valid_request;  // serialized, for the "known caller" case
};

std::vector<Shape> Shapes() {
  wechat::mp::v1::GetUserInfoRequest user;
  user.set_openid("o1");
  wechat::mp::v1::UploadMediaRequest upload;
  upload.set_type(wechat::mp::v1::MATERIAL_MEDIA_TYPE_IMAGE);
  wechat::mp::v1::GetMediaRequest media;
  media.set_media_id("m1");
  v1::ReplyRequest reply;
  reply.set_event_id("123");
  v1::CallRequest raw;
  raw.set_method("GET");
  raw.set_path("/cgi-bin/getcallbackip");
  return {
      {"unary", "/wechat.mp.v1.UserService/GetUserInfo", user.SerializeAsString()},
      {"upload", "/wechat.mp.v1.MaterialService/UploadMedia", upload.SerializeAsString()},
      {"download", "/wechat.mp.v1.MaterialService/GetMedia", media.SerializeAsString()},
      {"subscribe", "/wxgate.v1.EventService/Subscribe", ""},
      {"reply", "/wxgate.v1.EventService/Reply", reply.SerializeAsString()},
      {"token", "/wxgate.v1.TokenService/GetAccessToken", ""},
      {"raw", "/wxgate.v1.RawService/Call", raw.SerializeAsString()},
  };
}

HarnessOptions WithOneCaller() {
  config::v1::Access access;
  auto* caller = access.add_callers();
  caller->set_name("everything");
  caller->add_api_key_sha256(kKeyHash);
  caller->mutable_policy()->add_appids("*");
  caller->mutable_policy()->add_methods("*");
  HarnessOptions options;
  options.access = access;
  return options;
}

class AdmissionTest : public ::testing::Test {
 protected:
  grpc::Status Call(const Shape& shape, const std::string& key, const std::string& payload) {
    std::unique_ptr<grpc::ClientContext> context = ContextFor(kAppidA);
    if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    GenericStreamCall call(h_.channel(), shape.method, {payload}, std::move(context));
    EXPECT_TRUE(call.Wait()) << shape.name;
    return call.status();
  }

  // What the shapes would have called upstream, tokens included.
  int64_t UpstreamCalls() {
    int64_t calls = 0;
    for (const char* path : {"/cgi-bin/user/info", "/cgi-bin/media/upload", "/cgi-bin/media/get",
                             "/cgi-bin/getcallbackip", "/cgi-bin/stable_token"}) {
      calls += h_.fake().CallCount(path);
    }
    return calls;
  }

  GatewayHarness h_{WithOneCaller()};
};

TEST_F(AdmissionTest, NoKeyOrAWrongKeyIsUnauthenticatedOnEveryShapeWhateverThePayload) {
  for (const std::string& key : {std::string(), std::string("not-the-key")}) {
    for (const Shape& shape : Shapes()) {
      for (const std::string& payload : {shape.valid_request, kMalformed}) {
        grpc::Status status = Call(shape, key, payload);
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << shape.name << " key \"" << key << "\": " << status.error_message();
        EXPECT_EQ(ErrorInfoFrom(status).reason(), "CALLER_UNAUTHENTICATED") << shape.name;
      }
    }
  }
  EXPECT_EQ(UpstreamCalls(), 0);
}

TEST_F(AdmissionTest, AKnownCallersMalformedPayloadIsMalformedOnEveryShape) {
  for (const Shape& shape : Shapes()) {
    grpc::Status status = Call(shape, kKey, kMalformed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << shape.name << ": " << status.error_message();
    EXPECT_EQ(ErrorInfoFrom(status).reason(), "MALFORMED_REQUEST") << shape.name;
  }
  EXPECT_EQ(UpstreamCalls(), 0);
}

TEST_F(AdmissionTest, AnUnknownAccountIsNotRevealedToAnUnknownCaller) {
  std::unique_ptr<grpc::ClientContext> context = ContextFor("wx9999999999999999");
  GenericStreamCall call(h_.channel(), "/wechat.mp.v1.UserService/GetUserInfo", {""},
                         std::move(context));
  ASSERT_TRUE(call.Wait());
  EXPECT_EQ(call.status().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace wxgate::testing
