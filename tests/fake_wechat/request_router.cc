#include "tests/fake_wechat/request_router.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/fake_wechat/multipart_form.h"
#include "tests/fake_wechat/push_sender.h"
#include "tests/fake_wechat/wechat_reply.h"

namespace wxgate::fake {
namespace {

using nlohmann::json;

constexpr char kStatsPath[] = "/fake/stats";
constexpr char kLastPath[] = "/fake/last";
constexpr char kLatencyPath[] = "/fake/latency";
constexpr char kRevokePath[] = "/fake/revoke";
constexpr char kPushTicketPath[] = "/fake/component/push_ticket";
constexpr char kAuthorizePath[] = "/fake/component/authorize";
constexpr char kUnauthorizePath[] = "/fake/component/unauthorize";
constexpr char kPushMessagePath[] = "/fake/component/push_message";

HttpReply TokenReply(const TokenGrant& grant) {
  if (grant.errcode != 0) return ErrcodeReply(grant.errcode, grant.errmsg);
  return JsonReply({{"access_token", grant.access_token}, {"expires_in", grant.expires_in}});
}

// WeChat's answer to a wrong method: 43001 "require GET method" / 43002 "require POST method".
std::optional<HttpReply> RequireMethod(const HttpRequest& request, absl::string_view method) {
  if (request.method == method) return std::nullopt;
  return method == "GET" ? ErrcodeReply(43001, "require GET method")
                         : ErrcodeReply(43002, "require POST method");
}

std::string QueryValue(const HttpRequest& request, const std::string& name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? std::string() : it->second;
}

std::string StringField(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Sends `xml` to the body's url, encrypted with its token and encoding_aes_key for
// `component`, as WeChat pushes; answers what the gateway answered.
HttpReply PushAsComponent(const json& body, const std::string& component, const std::string& xml) {
  PushSender sender({.url = StringField(body, "url"),
                     .appid = component,
                     .token = StringField(body, "token"),
                     .encoding_aes_key = StringField(body, "encoding_aes_key")});
  absl::StatusOr<PushAnswer> answer = sender.Send(xml);
  if (!answer.ok()) return ErrcodeReply(-1, std::string(answer.status().message()));
  return JsonReply({{"errcode", 0},
                    {"errmsg", "ok"},
                    {"http_status", answer->http_status},
                    {"body", answer->body}});
}

json AuthorizerGrantJson(const AuthorizerGrant& grant) {
  json answer = {{"authorizer_access_token", grant.authorizer_access_token},
                 {"expires_in", grant.expires_in},
                 {"authorizer_refresh_token", grant.authorizer_refresh_token}};
  return answer;
}

}  // namespace

RequestRouter::RequestRouter(TokenAuthority* tokens, const EndpointTable* table,
                             FailureInjector* failures, CallStats* stats)
    : tokens_(tokens), table_(table), failures_(failures), stats_(stats) {}

void RequestRouter::SetLatency(absl::Duration latency) {
  latency_ns_.store(absl::ToInt64Nanoseconds(latency), std::memory_order_relaxed);
}

HttpReply RequestRouter::Handle(const HttpRequest& request) {
  if (request.path == kStatsPath) return Stats();
  if (request.path == kLastPath) return LastRequest(request);
  if (request.path == kLatencyPath) return SetLatencyFromBody(request);
  if (request.path == kRevokePath) return RevokeFromBody(request);
  if (request.path == kPushTicketPath) return PushTicket(request);
  if (request.path == kAuthorizePath) return PushAuthorization(request, true);
  if (request.path == kUnauthorizePath) return PushAuthorization(request, false);
  if (request.path == kPushMessagePath) return PushMessage(request);

  stats_->RecordRequest(request);
  std::optional<Failure> failure = failures_->Take(request.path);
  HttpReply reply = failure.has_value() ? RenderFailure(*failure) : Route(request);
  reply.delay = absl::Nanoseconds(latency_ns_.load(std::memory_order_relaxed));
  return reply;
}

HttpReply RequestRouter::Route(const HttpRequest& request) {
  if (request.path == "/cgi-bin/token") return ClassicToken(request);
  if (request.path == "/cgi-bin/stable_token") return StableToken(request);
  if (request.path == "/fake/echo") return Echo(request);
  if (request.path == "/cgi-bin/component/api_start_push_ticket") return StartPushTicket(request);
  if (request.path == "/cgi-bin/component/api_component_token") return ComponentToken(request);
  if (request.path == "/cgi-bin/component/api_query_auth") return QueryAuth(request);
  if (request.path == "/cgi-bin/component/api_authorizer_token") return AuthorizerToken(request);
  if (const Endpoint* endpoint = table_->Find(request.path)) {
    return TableEndpoint(*endpoint, request);
  }
  return TextReply(404, absl::StrCat("fake_wechat: no such endpoint ", request.path, "\n"));
}

HttpReply RequestRouter::ClassicToken(const HttpRequest& request) {
  if (auto wrong = RequireMethod(request, "GET")) return *wrong;
  if (QueryValue(request, "grant_type") != "client_credential") {
    return ErrcodeReply(40002, "invalid grant_type");
  }
  return TokenReply(
      tokens_->IssueClassic(QueryValue(request, "appid"), QueryValue(request, "secret")));
}

HttpReply RequestRouter::StableToken(const HttpRequest& request) {
  if (auto wrong = RequireMethod(request, "POST")) return *wrong;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return ErrcodeReply(47001, "data format error");
  auto force = body.find("force_refresh");
  if (force != body.end() && !force->is_boolean()) {
    return ErrcodeReply(47001, "data format error hint: force_refresh must be a boolean");
  }
  if (StringField(body, "grant_type") != "client_credential") {
    return ErrcodeReply(40002, "invalid grant_type");
  }
  return TokenReply(tokens_->IssueStable(StringField(body, "appid"), StringField(body, "secret"),
                                         force != body.end() && force->get<bool>()));
}

HttpReply RequestRouter::Echo(const HttpRequest& request) {
  json answer = {{"errcode", 0},
                 {"errmsg", "ok"},
                 {"method", request.method},
                 {"path", request.path},
                 {"query", request.query}};
  if (auto token = request.query.find("access_token"); token != request.query.end()) {
    TokenOwner owner = tokens_->Check(token->second);
    if (owner.errcode != 0) return ErrcodeReply(owner.errcode, owner.errmsg);
    answer["appid"] = owner.appid;  // lets tests see which account's token was used
  }
  if (auto token = request.query.find("component_access_token"); token != request.query.end()) {
    TokenOwner owner = tokens_->Check(token->second);
    if (owner.errcode != 0) return ErrcodeReply(owner.errcode, owner.errmsg);
    answer["component_appid"] = owner.appid;
  }
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  answer["body"] = body.is_discarded() ? json(nullptr) : std::move(body);
  return JsonReply(answer);
}

HttpReply RequestRouter::Stats() const {
  // "issued": every credential the fake handed out, so that tests can check that
  // none of them leaks (see TokenAuthority::Issued).
  return JsonReply({{"calls", stats_->AllCalls()},
                    {"connections", stats_->Connections()},
                    {"issued", tokens_->Issued()}});
}

HttpReply RequestRouter::LastRequest(const HttpRequest& request) const {
  auto path = request.query.find("path");
  if (path == request.query.end()) return ErrcodeReply(47001, "want ?path=/the/path");
  std::optional<HttpRequest> last = stats_->Last(path->second);
  if (!last.has_value()) return ErrcodeReply(46004, "no request on that path yet");
  return JsonReply(
      {{"errcode", 0}, {"method", last->method}, {"query", last->query}, {"body", last->body}});
}

HttpReply RequestRouter::SetLatencyFromBody(const HttpRequest& request) {
  if (auto wrong = RequireMethod(request, "POST")) return *wrong;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("ms") || !body["ms"].is_number_integer() ||
      body["ms"].get<int64_t>() < 0) {
    return ErrcodeReply(47001, "data format error hint: want {\"ms\": N}, N >= 0");
  }
  SetLatency(absl::Milliseconds(body["ms"].get<int64_t>()));
  return ErrcodeReply(0, "ok");
}

HttpReply RequestRouter::TableEndpoint(const Endpoint& endpoint, const HttpRequest& request) {
  if (auto wrong = RequireMethod(request, endpoint.method)) return *wrong;

  if (endpoint.needs_access_token) {
    auto token = request.query.find("access_token");
    if (token == request.query.end() || token->second.empty()) {
      return ErrcodeReply(41001, "access_token missing");
    }
    TokenOwner owner = tokens_->Check(token->second);
    if (owner.errcode != 0) return ErrcodeReply(owner.errcode, owner.errmsg);
  }

  auto missing = [&endpoint](const std::string& name) {
    return ErrcodeReply(endpoint.missing_errcode,
                        absl::StrCat(endpoint.missing_errmsg, " hint: missing ", name));
  };
  for (const std::string& name : endpoint.required_query) {
    if (!request.query.contains(name)) return missing(name);
  }
  if (endpoint.method == "GET") {
    for (const std::string& name : endpoint.required) {
      if (!request.query.contains(name)) return missing(name);
    }
  } else if (endpoint.body == Endpoint::Body::kJson) {
    const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return ErrcodeReply(47001, "data format error");
    for (const std::string& name : endpoint.required) {
      auto field = body.find(name);
      if (field == body.end() || field->is_null()) return missing(name);
    }
  } else if (endpoint.body == Endpoint::Body::kMultipart) {
    auto content_type = request.headers.find("content-type");
    auto parts = ParseMultipartForm(
        content_type == request.headers.end() ? "" : content_type->second, request.body);
    if (!parts.ok()) {
      return ErrcodeReply(41005,
                          absl::StrCat("media data missing hint: ", parts.status().message()));
    }
    for (const std::string& name : endpoint.required_parts) {
      auto part = parts->find(name);
      if (part == parts->end() || part->second.content.empty()) {
        return ErrcodeReply(41005, absl::StrCat("media data missing hint: missing ", name));
      }
    }
  } else if (endpoint.body == Endpoint::Body::kText && request.body.empty()) {
    return ErrcodeReply(44002, "empty post data");
  }

  if (!endpoint.content_type.empty()) {
    HttpReply reply = TextReply(200, endpoint.answer.get<std::string>());
    reply.content_type = endpoint.content_type;
    return reply;
  }
  if (!endpoint.with_errcode) return JsonReply(endpoint.answer);
  json answer = {{"errcode", 0}, {"errmsg", "ok"}};
  answer.update(endpoint.answer);
  return JsonReply(answer);
}

HttpReply RequestRouter::StartPushTicket(const HttpRequest& request) {
  if (auto wrong = RequireMethod(request, "POST")) return *wrong;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return ErrcodeReply(47001, "data format error");
  TokenGrant checked = tokens_->CheckSecret(StringField(body, "component_appid"),
                                            StringField(body, "component_secret"));
  return ErrcodeReply(checked.errcode, checked.errcode == 0 ? "ok" : checked.errmsg);
}

HttpReply RequestRouter::ComponentToken(const HttpRequest& request) {
  if (auto wrong = RequireMethod(request, "POST")) return *wrong;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return ErrcodeReply(47001, "data format error");
  TokenGrant grant = tokens_->IssueComponentToken(StringField(body, "component_appid"),
                                                  StringField(body, "component_appsecret"),
                                                  StringField(body, "component_verify_ticket"));
  if (grant.errcode != 0) return ErrcodeReply(grant.errcode, grant.errmsg);
  return JsonReply(
      {{"component_access_token", grant.access_token}, {"expires_in", grant.expires_in}});
}

HttpReply RequestRouter::QueryAuth(const HttpRequest& request) {
  if (auto wrong = RequireMethod(request, "POST")) return *wrong;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return ErrcodeReply(47001, "data format error");
  const AuthorizerGrant grant = tokens_->QueryAuth(QueryValue(request, "component_access_token"),
                                                   StringField(body, "component_appid"),
                                                   StringField(body, "authorization_code"));
  if (grant.errcode != 0) return ErrcodeReply(grant.errcode, grant.errmsg);
  json info = AuthorizerGrantJson(grant);
  info["authorizer_appid"] = grant.authorizer_appid;
  info["func_info"] = json::array();
  for (int id : grant.permission_sets) {
    info["func_info"].push_back({{"funcscope_category", {{"id", id}}}});
  }
  return JsonReply({{"authorization_info", info}});
}

HttpReply RequestRouter::AuthorizerToken(const HttpRequest& request) {
  if (auto wrong = RequireMethod(request, "POST")) return *wrong;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return ErrcodeReply(47001, "data format error");
  const AuthorizerGrant grant = tokens_->IssueAuthorizerToken(
      QueryValue(request, "component_access_token"), StringField(body, "component_appid"),
      StringField(body, "authorizer_appid"), StringField(body, "authorizer_refresh_token"));
  if (grant.errcode != 0) return ErrcodeReply(grant.errcode, grant.errmsg);
  return JsonReply(AuthorizerGrantJson(grant));
}

HttpReply RequestRouter::PushAuthorization(const HttpRequest& request, bool authorize) {
  if (auto wrong = RequireMethod(request, "POST")) return *wrong;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const std::string component = body.is_object() ? StringField(body, "component_appid") : "";
  const std::string authorizer = body.is_object() ? StringField(body, "authorizer_appid") : "";
  const std::string url = body.is_object() ? StringField(body, "url") : "";
  const auto push_field = body.is_object() ? body.find("push") : body.end();
  const bool push =
      !(push_field != body.end() && push_field->is_boolean() && !push_field->get<bool>());
  if (component.empty() || authorizer.empty() || (url.empty() && push)) {
    return ErrcodeReply(47001,
                        "data format error hint: want {\"component_appid\", \"authorizer_appid\", "
                        "\"url\", \"token\", \"encoding_aes_key\"}");
  }
  std::string xml;
  if (authorize) {
    std::vector<int> sets;
    if (auto it = body.find("func_info"); it != body.end() && it->is_array()) {
      for (const json& id : *it) {
        if (id.is_number_integer()) sets.push_back(id.get<int>());
      }
    }
    std::string code = tokens_->IssueAuthorizationCode(component, authorizer, sets);
    if (!push) {
      // The redirect's auth_code: what the authorization page hands the browser.
      return JsonReply(json{{"errcode", 0}, {"authorization_code", code}});
    }
    xml = AuthorizedXml(component, authorizer, code, absl::Now());
  } else {
    tokens_->Unauthorize(component, authorizer);
    xml = UnauthorizedXml(component, authorizer, absl::Now());
  }
  return PushAsComponent(body, component, xml);
}

HttpReply RequestRouter::PushMessage(const HttpRequest& request) {
  if (auto wrong = RequireMethod(request, "POST")) return *wrong;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const std::string component = body.is_object() ? StringField(body, "component_appid") : "";
  const std::string xml = body.is_object() ? StringField(body, "xml") : "";
  if (component.empty() || xml.empty() || StringField(body, "url").empty()) {
    return ErrcodeReply(47001,
                        "data format error hint: want {\"component_appid\", \"xml\", \"url\", "
                        "\"token\", \"encoding_aes_key\"}");
  }
  return PushAsComponent(body, component, xml);
}

HttpReply RequestRouter::PushTicket(const HttpRequest& request) {
  if (auto wrong = RequireMethod(request, "POST")) return *wrong;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const std::string appid = body.is_object() ? StringField(body, "component_appid") : "";
  const std::string url = body.is_object() ? StringField(body, "url") : "";
  if (appid.empty() || url.empty()) {
    return ErrcodeReply(47001,
                        "data format error hint: want {\"component_appid\", \"url\", \"token\", "
                        "\"encoding_aes_key\"}");
  }
  const std::string ticket = tokens_->IssueComponentTicket(appid);
  const std::string xml = ComponentTicketXml(appid, ticket, absl::Now());
  return PushAsComponent(body, appid, xml);
}

HttpReply RequestRouter::RevokeFromBody(const HttpRequest& request) {
  if (auto wrong = RequireMethod(request, "POST")) return *wrong;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("appid") || !body["appid"].is_string()) {
    return ErrcodeReply(47001, "data format error hint: want {\"appid\": \"wx...\"}");
  }
  tokens_->Revoke(body["appid"].get<std::string>());
  return JsonReply({{"errcode", 0}, {"errmsg", "ok"}});
}

}  // namespace wxgate::fake
