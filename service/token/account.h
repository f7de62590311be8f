// One WeChat account the gateway serves: configured, with its secret resolved, or an
// authorizer of a configured third-party platform.
#ifndef WXGATE_SERVICE_TOKEN_ACCOUNT_H_
#define WXGATE_SERVICE_TOKEN_ACCOUNT_H_

#include <string>

#include "wxgate/config/v1/config.pb.h"

namespace wxgate {

struct Account {
  std::string appid;
  std::string secret;
  config::v1::TokenApi token_api = config::v1::TOKEN_API_STABLE;
  std::string name;
  // Set for an account that authorized a third-party platform (an authorizer): its
  // tokens come from that component (api_authorizer_token); it has no secret.
  const Account* component = nullptr;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_ACCOUNT_H_
