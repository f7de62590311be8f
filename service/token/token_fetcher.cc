#include "service/token/token_fetcher.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "service/errors/error_info.h"
#include "service/transcode/answer_parser.h"
#include "service/transcode/request_builder.h"

namespace wxgate {

HttpTransport::TransferId TokenFetcher::FetchAccessToken(const Account& account,
                                                          bool force_refresh, Done done) {
  HttpRequest request;
  request.timeout = timeout_;
  if (account.token_api == config::v1::TOKEN_API_CLASSIC) {
    request.url = absl::StrCat(base_url_, "/cgi-bin/token?grant_type=client_credential&appid=",
                               EscapeQueryComponent(account.appid),
                               "&secret=", EscapeQueryComponent(account.secret));
  } else {
    request.method = "POST";
    request.url = absl::StrCat(base_url_, "/cgi-bin/stable_token");
    request.content_type = "application/json; charset=utf-8";
    nlohmann::json body = {
        {"grant_type", "client_credential"}, {"appid", account.appid}, {"secret", account.secret}};
    if (force_refresh) body["force_refresh"] = true;
    request.body = body.dump();
  }
  return Send(std::move(request), "access_token", std::move(done));
}

HttpTransport::TransferId TokenFetcher::FetchTicket(absl::string_view access_token, TokenKind kind,
                                                     Done done) {
  HttpRequest request;
  request.timeout = timeout_;
  request.url = absl::StrCat(
      base_url_, "/cgi-bin/ticket/getticket?access_token=", EscapeQueryComponent(access_token),
      "&type=", kind == TokenKind::kWxCardTicket ? "wx_card" : "jsapi");
  return Send(std::move(request), "ticket", std::move(done));
}

HttpTransport::TransferId TokenFetcher::Send(HttpRequest request, absl::string_view value_key,
                                              Done done) {
  return upstream_->Send(std::move(request), [key = std::string(value_key), done = std::move(done)](
                                                 absl::StatusOr<HttpResponse> answer) mutable {
    if (!answer.ok()) return std::move(done)(answer.status());
    absl::StatusOr<nlohmann::json> json = ParseAnswerJson(*answer);
    if (!json.ok()) return std::move(done)(json.status());
    auto value = json->find(key);
    auto expires_in = json->find("expires_in");
    if (value == json->end() || !value->is_string() || value->get<std::string>().empty() ||
        expires_in == json->end() || !expires_in->is_number_integer() ||
        expires_in->get<int64_t>() <= 0) {
      return std::move(done)(
          GatewayError(absl::StatusCode::kInternal, "UPSTREAM_SCHEMA",
                       absl::StrCat("WeChat's answer lacks ", key, " or a positive expires_in")));
    }
    std::move(done)(FetchedToken{.value = value->get<std::string>(),
                                 .lifetime = absl::Seconds(expires_in->get<int64_t>())});
  });
}

}  // namespace wxgate
