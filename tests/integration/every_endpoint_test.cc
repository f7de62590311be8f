// Every annotated RPC, called once through the gateway against the fake WeChat's
// table: the request carries what WeChat requires, and the response must hold every
// value of the table's sample answer. A field the proto misnames or mistypes shows
// up here as a value that did not come through.
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "service/transcode/endpoint_catalog.h"
#include "service/transcode/wechat_json.h"
#include "service/upstream/credential.h"
#include "tests/fake_wechat/endpoint_table.h"
#include "tests/integration/gateway_harness.h"
#include "tests/integration/generic_stream_call.h"

namespace wxgate::testing {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using nlohmann::json;

// RPCs taking an authorizer_access_token are called for kAuthorizerAppid, which
// authorized the harness's component (the fake pushed `authorized`, the gateway
// exchanged its code); the others for the default account.
std::string AppidFor(const EndpointBinding& binding) {
  return binding.credential == CredentialKind::kAuthorizerAccessToken ? kAuthorizerAppid : "";
}

// Every permission set a modelled service needs: the harness's authorizer grants them
// all, so each RPC reaches the fake (refusals are unit-tested).
std::vector<int> EveryPermissionSet(const std::vector<EndpointBinding>& endpoints) {
  std::set<int> sets;
  for (const EndpointBinding& binding : endpoints) {
    sets.insert(binding.permission_sets.begin(), binding.permission_sets.end());
  }
  return {sets.begin(), sets.end()};
}

std::vector<EndpointBinding> ModelledEndpoints() {
  std::vector<EndpointBinding> all;
  absl::StatusOr<std::vector<ServiceEndpoints>> services = DiscoverEndpoints();
  for (ServiceEndpoints& service : *services) {
    // Test-only services (echo) are not WeChat endpoints.
    if (service.service->file()->package().rfind("wxgate.testing", 0) == 0) continue;
    for (EndpointBinding& binding : service.bindings) {
      // URL answers never reach WeChat (typed_calls_test checks them).
      if (binding.answer != ANSWER_KIND_URL) all.push_back(binding);
    }
  }
  return all;
}

bool IsDefault(const json& value) {
  return value.is_null() || value == 0 || value == false || value == "" ||
         (value.is_array() && value.empty()) || (value.is_object() && value.empty());
}

// Records where `actual` lacks or differs from a value of `expected`. Proto3 omits
// default values, and WeChat quotes some numbers, so those compare as equal.
void ExpectCovers(const json& expected, const json& actual, const std::string& path,
                  std::vector<std::string>* problems) {
  if (expected.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      std::string child = path.empty() ? key : absl::StrCat(path, ".", key);
      if (!actual.is_object() || !actual.contains(key)) {
        if (!IsDefault(value)) problems->push_back(absl::StrCat(child, " is missing"));
        continue;
      }
      ExpectCovers(value, actual.at(key), child, problems);
    }
  } else if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size()) {
      problems->push_back(
          absl::StrCat(path, ": expected ", expected.dump(), ", got ", actual.dump()));
      return;
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      ExpectCovers(expected[i], actual[i], absl::StrCat(path, "[", i, "]"), problems);
    }
  } else if (expected != actual &&
             !(actual.is_string() && actual.get<std::string>() == expected.dump())) {
    problems->push_back(
        absl::StrCat(path, ": expected ", expected.dump(), ", got ", actual.dump()));
  }
}

// Fills the request fields WeChat requires with placeholder values.
void FillRequired(const std::vector<std::string>& names, Message* request) {
  const auto& descriptor = *request->GetDescriptor();
  const auto& reflection = *request->GetReflection();
  for (const std::string& name : names) {
    const FieldDescriptor* field = nullptr;
    for (int i = 0; i < descriptor.field_count(); ++i) {
      if (WeChatKey(*descriptor.field(i)) == name) field = descriptor.field(i);
    }
    if (field == nullptr) continue;  // filled by the gateway (appid) or absent: reported below
    if (field->message_type() != nullptr && field->message_type()->full_name() == kUploadFileType) {
      Message* file = reflection.MutableMessage(request, field);
      file->GetReflection()->SetString(file, file->GetDescriptor()->FindFieldByName("filename"),
                                       "sample.jpg");
      file->GetReflection()->SetString(file, file->GetDescriptor()->FindFieldByName("content"),
                                       "sample file bytes");
      continue;
    }
    if (field->is_repeated()) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        reflection.AddMessage(request, field);
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        reflection.AddString(request, field, "x");
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
        reflection.AddEnumValue(request, field, 1);
      } else {
        ASSERT_TRUE(MergeWeChatJson(json{{name, {1}}}, request).ok()) << name;
      }
      continue;
    }
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE:
        reflection.MutableMessage(request, field);
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        reflection.SetString(request, field, "x");
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        reflection.SetEnumValue(request, field, 1);
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        reflection.SetBool(request, field, true);
        break;
      default:
        ASSERT_TRUE(MergeWeChatJson(json{{name, 1}}, request).ok()) << name;
    }
  }
}

}  // namespace
}  // namespace wxgate::testing

namespace wxgate {
// Names the parameter in gtest's messages.
void PrintTo(const EndpointBinding& binding, std::ostream* out) {
  *out << binding.method->full_name();
}
}  // namespace wxgate

namespace wxgate::testing {
namespace {

class EveryEndpointTest : public ::testing::TestWithParam<EndpointBinding> {
 protected:
  static void SetUpTestSuite() {
    harness_ = new GatewayHarness({.component = true});
    ASSERT_TRUE(harness_->PushComponentTicket());
    ASSERT_TRUE(
        harness_->AuthorizeAccount(kAuthorizerAppid, EveryPermissionSet(ModelledEndpoints())));
    table_ = new fake::EndpointTable(*fake::EndpointTable::LoadDir(FAKE_WECHAT_ENDPOINTS_DIR));
  }
  static void TearDownTestSuite() {
    delete harness_;
    delete table_;
  }
  static GatewayHarness* harness_;
  static fake::EndpointTable* table_;
};
GatewayHarness* EveryEndpointTest::harness_ = nullptr;
fake::EndpointTable* EveryEndpointTest::table_ = nullptr;

TEST_P(EveryEndpointTest, AnswersTheSampleCompletely) {
  const EndpointBinding& binding = GetParam();
  const std::string path = binding.path.substr(0, binding.path.find('?'));
  const fake::Endpoint* entry = table_->Find(path);
  ASSERT_NE(entry, nullptr) << "the fake WeChat has no table entry for " << path;
  EXPECT_EQ(entry->method, binding.http_method) << path;

  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<Message> request(factory.GetPrototype(binding.method->input_type())->New());
  FillRequired(entry->required, request.get());
  FillRequired(entry->required_query, request.get());

  FillRequired(entry->required_parts, request.get());
  if (binding.body == BODY_KIND_TEXT)
    FillRequired({WeChatKey(*binding.body_fields[0])}, request.get());

  const std::string method =
      absl::StrCat("/", binding.method->service()->full_name(), "/", binding.method->name());
  std::vector<std::string> responses;
  if (binding.method->client_streaming() || binding.method->server_streaming()) {
    GenericStreamCall call(harness_->channel(), method, {request->SerializeAsString()},
                           ContextFor(AppidFor(binding)));
    ASSERT_TRUE(call.Wait());
    ASSERT_TRUE(call.status().ok()) << method << ": " << call.status().error_message();
    responses = call.responses();
  } else {
    grpc::GenericStub stub(harness_->channel());
    std::unique_ptr<grpc::ClientContext> context = ContextFor(AppidFor(binding));
    grpc::Slice slice(request->SerializeAsString());
    grpc::ByteBuffer request_bytes(&slice, 1), response_bytes;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request_bytes, &response_bytes,
                   [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(60)));
    ASSERT_TRUE(status.ok()) << method << ": " << status.error_message();
    std::vector<grpc::Slice> slices;
    ASSERT_TRUE(response_bytes.Dump(&slices).ok());
    std::string bytes;
    for (const grpc::Slice& s : slices)
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    responses.push_back(std::move(bytes));
  }
  std::vector<std::unique_ptr<Message>> parsed;
  for (const std::string& bytes : responses) {
    parsed.emplace_back(factory.GetPrototype(binding.method->output_type())->New());
    ASSERT_TRUE(parsed.back()->ParseFromString(bytes));
  }

  if (!entry->content_type.empty()) {  // a file: its pieces must add up to the sample
    ASSERT_NE(binding.chunk_field, nullptr) << method << " answers a file but has no FileChunk";
    ASSERT_FALSE(parsed.empty());
    json first = MessageToWeChatJson(
        parsed.front()->GetReflection()->GetMessage(*parsed.front(), binding.chunk_field));
    EXPECT_EQ(first["content_type"], entry->content_type);
    std::string data;
    for (const auto& response : parsed) {
      const Message& chunk = response->GetReflection()->GetMessage(*response, binding.chunk_field);
      data +=
          chunk.GetReflection()->GetString(chunk, chunk.GetDescriptor()->FindFieldByName("data"));
    }
    EXPECT_EQ(data, entry->answer.get<std::string>());
    return;
  }
  ASSERT_EQ(parsed.size(), 1u) << method << " answered JSON in more than one message";
  const std::unique_ptr<Message>& response = parsed.front();

  json expected = entry->answer;
  expected.erase("errcode");
  expected.erase("errmsg");
  std::vector<std::string> problems;
  ExpectCovers(expected, MessageToWeChatJson(*response), "", &problems);
  EXPECT_TRUE(problems.empty()) << binding.method->full_name() << " lost:\n  "
                                << absl::StrJoin(problems, "\n  ");
}

INSTANTIATE_TEST_SUITE_P(Modelled, EveryEndpointTest, ::testing::ValuesIn(ModelledEndpoints()),
                         [](const ::testing::TestParamInfo<EndpointBinding>& info) {
                           return absl::StrReplaceAll(info.param.method->full_name(), {{".", "_"}});
                         });

}  // namespace
}  // namespace wxgate::testing
