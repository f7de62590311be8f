#include "service/server/authorization_service.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/server/endpoint_call.h"
#include "service/server/token_state_proto.h"
#include "service/token/permission_sets.h"
#include "wechat/open/v1/component.pb.h"
#include "wxgate/v1/authorization.pb.h"

namespace wxgate {
namespace {

namespace open = wechat::open::v1;

// ComponentService's bindings the links are made with.
struct LinkEndpoints {
  const EndpointBinding* pre_auth_code = nullptr;
  const EndpointBinding* pc_page = nullptr;
  const EndpointBinding* mobile_page = nullptr;
};

absl::StatusOr<LinkEndpoints> FindLinkEndpoints(const std::vector<ServiceEndpoints>& endpoints) {
  LinkEndpoints found;
  const std::pair<const EndpointBinding**, const google::protobuf::Descriptor*> wanted[] = {
      {&found.pre_auth_code, open::CreatePreAuthCodeRequest::descriptor()},
      {&found.pc_page, open::BuildComponentLoginPageUrlRequest::descriptor()},
      {&found.mobile_page, open::BuildComponentBindMobileUrlRequest::descriptor()}};
  for (const ServiceEndpoints& service : endpoints) {
    for (const EndpointBinding& binding : service.bindings) {
      for (const auto& [slot, input] : wanted) {
        if (binding.method->input_type() == input) *slot = &binding;
      }
    }
  }
  for (const auto& [slot, input] : wanted) {
    if (*slot == nullptr) {
      return absl::InternalError(absl::StrCat("no endpoint takes ", input->full_name()));
    }
  }
  return found;
}

void FillGrant(const Account& authorizer, const std::vector<int>& permission_sets, bool revoked,
               v1::AuthorizerGrant& grant) {
  grant.set_authorizer_appid(authorizer.appid);
  grant.set_component_appid(authorizer.component->appid);
  for (int id : permission_sets) {
    v1::PermissionSet& set = *grant.add_permission_sets();
    set.set_id(id);
    set.set_name(PermissionSetName(id));
  }
  grant.set_revoked(revoked);
}

// The page request both links are built from: the same fields in both messages.
template <typename PageRequest>
PageRequest PageRequestOf(const v1::CreateAuthorizationLinksRequest& request,
                          const std::string& pre_auth_code) {
  PageRequest page;
  page.set_pre_auth_code(pre_auth_code);
  page.set_redirect_uri(request.redirect_uri());
  page.set_auth_type(request.auth_type());
  page.set_biz_appid(request.biz_appid());
  page.set_category_list(absl::StrJoin(request.permission_sets(), "|"));
  return page;
}

// The URL in a Build*Url answer.
std::string UrlOf(const google::protobuf::Message& answer) {
  return answer.GetReflection()->GetString(answer, answer.GetDescriptor()->FindFieldByName("url"));
}

void CreateLinks(const AuthorizationDeps& deps, const LinkEndpoints& links, UnaryCall& call,
                 const v1::CreateAuthorizationLinksRequest& request) {
  const std::string& redirect = request.redirect_uri();
  if (!(absl::StartsWith(redirect, "http://") || absl::StartsWith(redirect, "https://"))) {
    return call.Respond(GatewayError(Reason::kInvalidUrl,
                                     "redirect_uri must be a full http:// or https:// URL on the "
                                     "platform's authorization domain (授权发起页域名)"));
  }
  CallEndpoint(
      *links.pre_auth_code, *deps.upstream, call, open::CreatePreAuthCodeRequest(),
      [deps, links, &call, request](absl::StatusOr<MessagePtr> answer) {
        if (!answer.ok()) return call.Respond(answer.status());
        const auto& code = static_cast<const open::CreatePreAuthCodeResponse&>(**answer);
        if (code.pre_auth_code().empty()) {
          return call.Respond(GatewayError(Reason::kUpstreamSchema,
                                           "api_create_preauthcode answered no pre_auth_code"));
        }
        auto response = std::make_unique<v1::CreateAuthorizationLinksResponse>();
        *response->mutable_expires_at() =
            ToTimestamp(deps.now() + absl::Seconds(code.expires_in()));
        // Neither page calls WeChat: both answer inline.
        absl::Status built = absl::OkStatus();
        CallEndpoint(
            *links.pc_page, *deps.upstream, call,
            PageRequestOf<open::BuildComponentLoginPageUrlRequest>(request, code.pre_auth_code()),
            [&](absl::StatusOr<MessagePtr> page) {
              if (page.ok()) response->set_pc_url(UrlOf(**page));
              built.Update(page.status());
            });
        CallEndpoint(
            *links.mobile_page, *deps.upstream, call,
            PageRequestOf<open::BuildComponentBindMobileUrlRequest>(request, code.pre_auth_code()),
            [&](absl::StatusOr<MessagePtr> page) {
              if (page.ok()) response->set_mobile_url(UrlOf(**page));
              built.Update(page.status());
            });
        if (!built.ok()) return call.Respond(built);
        call.Respond(std::move(response));
      });
}

void CompleteAuthorization(const AuthorizationDeps& deps, UnaryCall& call,
                           const v1::CompleteAuthorizationRequest& request) {
  if (request.authorization_code().empty()) {
    return call.Respond(GatewayError(
        Reason::kMissingAuthorizationCode,
        "authorization_code: the auth_code WeChat appended to the redirect is required"));
  }
  absl::StatusOr<const Account*> component =
      CredentialAccount(call.admitted(), CredentialKind::kComponentAccessToken);
  if (!component.ok()) return call.Respond(component.status());
  deps.exchange->Exchange(
      **component, request.authorization_code(), /*expected_appid=*/"",
      [&call](absl::StatusOr<AuthorizationExchange::Authorized> authorized) {
        if (IsSpentAuthorizationCode(authorized.status())) {
          return call.Respond(GatewayError(
              Reason::kAuthorizationCodeSpent,
              absl::StrCat("WeChat calls the authorization code used or expired (",
                           authorized.status().message(),
                           ") and this replica did not exchange it in the last hour")));
        }
        if (!authorized.ok()) return call.Respond(authorized.status());
        auto response = std::make_unique<v1::CompleteAuthorizationResponse>();
        FillGrant(*authorized->authorizer, authorized->permission_sets, /*revoked=*/false,
                  *response->mutable_grant());
        call.Respond(std::move(response));
      });
}

void GetAuthorizerGrant(const AuthorizationDeps& deps, UnaryCall& call) {
  const Account* authorizer = call.admitted().account;
  if (authorizer == nullptr || authorizer->component == nullptr) {
    return call.Respond(GatewayError(
        Reason::kNotAnAuthorizer,
        absl::StrCat(authorizer == nullptr ? "the call" : authorizer->appid,
                     " names no account that authorized a third-party platform: send the "
                     "authorizer's appid in x-wx-appid")));
  }
  deps.tokens->ReadGrant(*authorizer, [&call, authorizer](absl::StatusOr<AuthorizerGrant> grant) {
    if (!grant.ok()) return call.Respond(grant.status());
    auto response = std::make_unique<v1::GetAuthorizerGrantResponse>();
    FillGrant(*authorizer, grant->permission_sets, grant->revoked, *response->mutable_grant());
    call.Respond(std::move(response));
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdmittedService>> ServeAuthorization(
    const AuthorizationDeps& deps, const CallAdmission& admission) {
  absl::StatusOr<LinkEndpoints> links = FindLinkEndpoints(*deps.endpoints);
  if (!links.ok()) return links.status();
  auto service = std::make_unique<AdmittedService>(
      ServiceOf<v1::CreateAuthorizationLinksRequest>("AuthorizationService"), admission);
  service->HandleUnary(
      "CreateAuthorizationLinks", [deps, links = *links](UnaryCall& call, MessagePtr message) {
        CreateLinks(deps, links, call, RequestAs<v1::CreateAuthorizationLinksRequest>(*message));
      });
  service->HandleUnary("CompleteAuthorization", [deps](UnaryCall& call, MessagePtr message) {
    CompleteAuthorization(deps, call, RequestAs<v1::CompleteAuthorizationRequest>(*message));
  });
  service->HandleUnary("GetAuthorizerGrant",
                       [deps](UnaryCall& call, MessagePtr) { GetAuthorizerGrant(deps, call); });
  return service;
}

}  // namespace wxgate
