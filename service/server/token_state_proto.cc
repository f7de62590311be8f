#include "service/server/token_state_proto.h"

#include <google/protobuf/util/time_util.h>

namespace wxgate {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  if (t == absl::InfinitePast()) return google::protobuf::Timestamp();
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

TokenKind KindOf(v1::TokenKind kind) {
  switch (kind) {
    case v1::TOKEN_KIND_JSAPI_TICKET:
      return TokenKind::kJsapiTicket;
    case v1::TOKEN_KIND_WX_CARD_TICKET:
      return TokenKind::kWxCardTicket;
    case v1::TOKEN_KIND_COMPONENT_ACCESS_TOKEN:
      return TokenKind::kComponentAccessToken;
    default:
      return TokenKind::kAccessToken;
  }
}

v1::TokenState TokenStateProto(v1::TokenKind kind, const TokenState& state) {
  v1::TokenState out;
  out.set_kind(kind);
  out.set_valid(state.valid);
  *out.mutable_fetched_at() = ToTimestamp(state.fetched_at);
  *out.mutable_expires_at() = ToTimestamp(state.expires_at);
  if (state.refresh_at != absl::InfiniteFuture()) {
    *out.mutable_refresh_at() = ToTimestamp(state.refresh_at);
  }
  out.set_fetches(state.fetches);
  out.set_failed_fetches(state.failed_fetches);
  out.set_last_error(state.last_error);
  out.set_force_refresh_left(state.force_refresh_left);
  return out;
}

}  // namespace wxgate
