#include "service/transcode/answer_parser.h"

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/transcode/wechat_json.h"

namespace wxgate {

absl::Status ReadAnswer(const nlohmann::json& answer, google::protobuf::Message* response) {
  if (absl::Status s = MergeWeChatJson(answer, response); !s.ok()) {
    return GatewayError(Reason::kUpstreamSchema,
                        absl::StrCat("upstream answer does not match ",
                                     response->GetDescriptor()->full_name(), ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace wxgate
