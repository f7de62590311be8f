#include "service/token/authorizer_grant.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace wxgate {

std::string AuthorizerGrantKey(const Account& authorizer) {
  return absl::StrCat(authorizer.component->appid, "/", authorizer.appid, "/authorizer_grant");
}

std::string EncodeAuthorizerGrant(const AuthorizerGrant& grant) {
  return nlohmann::json{{"refresh_token", grant.refresh_token},
                        {"permission_sets", grant.permission_sets},
                        {"revoked", grant.revoked}}
      .dump();
}

absl::StatusOr<AuthorizerGrant> DecodeAuthorizerGrant(absl::string_view value) {
  const nlohmann::json json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  const auto refresh_token = json.is_object() ? json.find("refresh_token") : json.end();
  const auto sets = json.is_object() ? json.find("permission_sets") : json.end();
  const auto revoked = json.is_object() ? json.find("revoked") : json.end();
  if (!json.is_object() || refresh_token == json.end() || !refresh_token->is_string() ||
      sets == json.end() || !sets->is_array() || revoked == json.end() || !revoked->is_boolean()) {
    return absl::DataLossError("the stored authorizer grant is not one the gateway wrote");
  }
  AuthorizerGrant grant{.refresh_token = refresh_token->get<std::string>(),
                        .revoked = revoked->get<bool>()};
  for (const nlohmann::json& id : *sets) {
    if (!id.is_number_integer()) {
      return absl::DataLossError("the stored authorizer grant has a permission set that is no id");
    }
    grant.permission_sets.push_back(id.get<int>());
  }
  return grant;
}

}  // namespace wxgate
