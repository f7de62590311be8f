#include "service/server/authorization_pushes.h"

#include <optional>
#include <string>

#include "service/errors/wechat_errors.h"
#include "service/observe/log.h"

namespace wxgate {
namespace {

// api_query_auth: "invalid authorization code" (used, expired or another platform's).
constexpr int kSpentAuthorizationCode = 61010;

}  // namespace

void AuthorizationPushes::Hold(const wechat::open::v1::ComponentEvent& event,
                               std::function<void(absl::Status)> done) {
  absl::StatusOr<const Account*> component = components_.Find(event.component_appid());
  if (!component.ok()) return done(component.status());
  const wechat::open::v1::AuthorizationPush& granted =
      event.has_authorized() ? event.authorized() : event.updateauthorized();
  const std::string& appid = event.has_unauthorized() ? event.unauthorized().authorizer_appid()
                                                      : granted.authorizer_appid();
  absl::StatusOr<const Account*> authorizer = authorizers_.Find(**component, appid);
  if (!authorizer.ok()) return done(authorizer.status());
  if (event.has_unauthorized()) return tokens_.Revoke(**authorizer, std::move(done));
  tokens_.Authorize(
      **authorizer, granted.authorization_code(),
      [appid, component_appid = event.component_appid(),
       done = std::move(done)](absl::Status authorized) {
        if (WeChatErrcodeOf(authorized) == std::optional<int>(kSpentAuthorizationCode)) {
          Log(LogLevel::kWarning, "authorization_code_spent",
              {{"component_appid", component_appid},
               {"appid", appid},
               {"error", authorized.message()}});
          return done(absl::OkStatus());
        }
        done(authorized);
      });
}

}  // namespace wxgate
