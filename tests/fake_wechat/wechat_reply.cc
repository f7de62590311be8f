#include "tests/fake_wechat/wechat_reply.h"

#include <utility>

namespace wxgate::fake {

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

HttpReply JsonReply(const nlohmann::json& body, int status) {
  HttpReply reply;
  reply.status = status;
  reply.body = DumpJson(body);
  return reply;
}

HttpReply ErrcodeReply(int errcode, absl::string_view errmsg) {
  return JsonReply({{"errcode", errcode}, {"errmsg", std::string(errmsg)}});
}

HttpReply TextReply(int status, std::string body) {
  HttpReply reply;
  reply.status = status;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body = std::move(body);
  return reply;
}

}  // namespace wxgate::fake
