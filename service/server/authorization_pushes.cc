#include "service/server/authorization_pushes.h"

#include <utility>

#include "service/observe/log.h"

namespace wxgate {

void AuthorizationPushes::Hold(const wechat::open::v1::ComponentEvent& event,
                               std::function<void(absl::Status)> done) {
  absl::StatusOr<const Account*> component = components_.Find(event.component_appid());
  if (!component.ok()) return done(component.status());
  if (event.has_unauthorized()) {
    absl::StatusOr<const Account*> authorizer =
        authorizers_.Find(**component, event.unauthorized().authorizer_appid());
    if (!authorizer.ok()) return done(authorizer.status());
    return tokens_.Revoke(**authorizer, std::move(done));
  }
  const wechat::open::v1::AuthorizationPush& granted =
      event.has_authorized() ? event.authorized() : event.updateauthorized();
  exchange_.Exchange(
      **component, granted.authorization_code(), granted.authorizer_appid(),
      [appid = granted.authorizer_appid(), component_appid = event.component_appid(),
       done = std::move(done)](absl::StatusOr<AuthorizationExchange::Authorized> authorized) {
        if (IsSpentAuthorizationCode(authorized.status())) {
          Log(LogLevel::kWarning, "authorization_code_spent",
              {{"component_appid", component_appid},
               {"appid", appid},
               {"error", authorized.status().message()}});
          return done(absl::OkStatus());
        }
        done(authorized.status());
      });
}

}  // namespace wxgate
