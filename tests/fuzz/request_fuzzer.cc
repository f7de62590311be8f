// libFuzzer target over what a gRPC caller controls: the request message of an
// annotated RPC, transcoded into WeChat's query, JSON body, multipart upload (file
// names and content types included) or text body, then built into the HTTP request.
//
// The first byte picks the RPC from the endpoint catalog (its low 7 bits, modulo the
// number of RPCs) and the format of the rest: the request message in protobuf binary
// (high bit clear) or text format (high bit set).
// Run: tests/fuzz/run_fuzzers.sh [seconds]  (builds with clang into build-fuzz/).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "service/transcode/endpoint_catalog.h"
#include "service/transcode/request_transcoder.h"
#include "service/transcode/upload_request.h"
#include "service/upstream/upstream_request.h"

namespace {

using google::protobuf::Message;

const std::vector<wxgate::EndpointBinding>& Bindings() {
  static const auto* bindings = [] {
    auto* all = new std::vector<wxgate::EndpointBinding>;
    absl::StatusOr<std::vector<wxgate::ServiceEndpoints>> services = wxgate::DiscoverEndpoints();
    if (!services.ok()) std::abort();
    for (const wxgate::ServiceEndpoints& service : *services) {
      all->insert(all->end(), service.bindings.begin(), service.bindings.end());
    }
    if (all->empty()) std::abort();
    return all;
  }();
  return *bindings;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const wxgate::EndpointBinding& binding = Bindings()[(data[0] & 0x7f) % Bindings().size()];
  const Message* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(
      binding.method->input_type());
  std::unique_ptr<Message> request(prototype->New());
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 0x80) {
    google::protobuf::TextFormat::Parser parser;
    parser.AllowPartialMessage(true);
    if (!parser.ParseFromString(rest, request.get())) return 0;
  } else if (!request->ParsePartialFromString(rest)) {
    return 0;
  }

  if (binding.body == wxgate::BODY_KIND_MULTIPART) {
    // A client-streamed upload: the message arrives as two pieces.
    std::unique_ptr<Message> whole(prototype->New());
    wxgate::UploadAssembler upload(binding, whole.get(), /*limit=*/1 << 20);
    for (int piece = 0; piece < 2; ++piece) {
      std::unique_ptr<Message> copy(request->New());
      copy->CopyFrom(*request);
      if (!upload.Add(*copy).ok()) break;
    }
    upload.Finish();
    if (wxgate::UploadBytes(binding, *whole) > 2 * wxgate::UploadBytes(binding, *request)) {
      std::abort();  // the pieces' files add up to more than was sent
    }
  }

  absl::StatusOr<wxgate::UpstreamRequest> upstream = wxgate::TranscodeRequest(binding, *request);
  if (!upstream.ok()) return 0;
  const wxgate::CallCredential credential{.kind = upstream->credential,
                                          .token = "TOKEN",
                                          .appid = "wx00000000000000aa",
                                          .secret = "SECRET"};
  (void)wxgate::BuildHttpRequest(*upstream, "https://api.weixin.qq.com", credential,
                                 absl::Seconds(1));
  return 0;
}
