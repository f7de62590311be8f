// libFuzzer target over what WeChat (or anything posing as it) sends back: an
// upstream answer body, parsed and read into typed responses with nested messages,
// repeated fields, enums with wire names and 64-bit numbers; and checked as a
// download would check it (file or JSON; a Content-Disposition file name).
#include <cstddef>
#include <cstdint>
#include <string>

#include "service/transcode/answer_parser.h"
#include "service/upstream/upstream_answer.h"
#include "wechat/mp/v1/events.pb.h"
#include "wechat/mp/v1/menu.pb.h"
#include "wechat/mp/v1/user.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wxgate::HttpResponse answer{.status = 200,
                              .content_type = "application/json",
                              .body = std::string(reinterpret_cast<const char*>(data), size)};
  // A download may answer anything: a file, or JSON when labelled so.
  (void)wxgate::CheckAnswer(answer, wxgate::ANSWER_KIND_JSON_OR_BINARY);
  (void)wxgate::FileNameOf(answer.body);
  absl::StatusOr<nlohmann::json> json = wxgate::ParseAnswerJson(answer);
  if (!json.ok()) return 0;
  wechat::mp::v1::GetUserInfoResponse user;
  (void)wxgate::ReadAnswer(*json, &user);
  wechat::mp::v1::GetMenuResponse menu;
  (void)wxgate::ReadAnswer(*json, &menu);
  wechat::mp::v1::Event event;
  (void)wxgate::ReadAnswer(*json, &event);
  return 0;
}
