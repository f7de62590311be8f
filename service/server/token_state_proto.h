// The token manager's view of one credential (TokenState) as the API shows it
// (wxgate.v1.TokenState), for TokenService/TokenStatus and AdminService/GetStatus:
//
//   TokenStateProto(v1::TOKEN_KIND_ACCESS_TOKEN, tokens.Status(account, kAccessToken))
//     -> {kind, valid, fetched_at, expires_at, refresh_at, fetches, ...}
//
// Never the credential itself: TokenState does not hold it.
#ifndef WXGATE_SERVICE_SERVER_TOKEN_STATE_PROTO_H_
#define WXGATE_SERVICE_SERVER_TOKEN_STATE_PROTO_H_

#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"
#include "service/token/token_kind.h"
#include "service/token/token_manager.h"
#include "wxgate/v1/token.pb.h"

namespace wxgate {

// The time as a Timestamp; InfinitePast() (never) as the zero Timestamp.
google::protobuf::Timestamp ToTimestamp(absl::Time t);

TokenKind KindOf(v1::TokenKind kind);

v1::TokenState TokenStateProto(v1::TokenKind kind, const TokenState& state);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_TOKEN_STATE_PROTO_H_
