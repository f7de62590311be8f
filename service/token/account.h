// One WeChat account the gateway serves, with its secret resolved.
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
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_ACCOUNT_H_
