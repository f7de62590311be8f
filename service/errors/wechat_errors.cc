#include "service/errors/wechat_errors.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/errors/error_info.h"

namespace wxgate {
namespace {

using Code = absl::StatusCode;

constexpr WeChatErrorRule kRules[] = {
    {-1, Code::kUnavailable, "WeChat is busy; retry later."},
    {40001, Code::kUnauthenticated,
     "The access_token is invalid or not the latest; the gateway refreshes it and retries "
     "once. Check that no other program fetches tokens for this appid."},
    {40002, Code::kInvalidArgument, "Invalid grant_type."},
    {40003, Code::kInvalidArgument, "The openid is invalid or belongs to another account."},
    {40013, Code::kFailedPrecondition, "Invalid appid: check the account's appid in the config."},
    {40014, Code::kUnauthenticated, "Invalid access_token; the gateway refreshes it."},
    {40125, Code::kFailedPrecondition, "Invalid AppSecret: check the account's secret source."},
    {40164, Code::kPermissionDenied,
     "The gateway's egress IP is not in the account's API IP whitelist: add it in the WeChat "
     "console."},
    {41001, Code::kUnauthenticated, "The access_token is missing."},
    {42001, Code::kUnauthenticated, "The access_token expired; the gateway refreshes it."},
    {43001, Code::kInternal, "WeChat requires GET here: the endpoint's annotation is wrong."},
    {43002, Code::kInternal, "WeChat requires POST here: the endpoint's annotation is wrong."},
    {45009, Code::kResourceExhausted,
     "The daily API quota is used up: it resets at midnight (UTC+8), or clear it with "
     "wechat.mp.v1.OpenApiService/ClearQuota."},
    {45011, Code::kResourceExhausted, "Called too often: slow down."},
    {45056, Code::kResourceExhausted, "The account has the maximum number of tags."},
    {45058, Code::kFailedPrecondition, "The reserved tags 0, 1 and 2 cannot be changed."},
    {45059, Code::kResourceExhausted, "The user already has the maximum number of tags."},
    {45157, Code::kAlreadyExists, "A tag with this name exists."},
    {45158, Code::kInvalidArgument, "The tag name is longer than 30 characters."},
    {45159, Code::kInvalidArgument, "The tag id is invalid."},
    {46004, Code::kNotFound, "The user does not exist."},
    {47001, Code::kInvalidArgument, "WeChat could not read the request: check its fields."},
    {48001, Code::kPermissionDenied,
     "The account has no permission for this API: check its verification and permissions."},
    {49003, Code::kInvalidArgument, "An openid does not belong to this account."},
    {50001, Code::kPermissionDenied, "The account is not authorized for this API."},
    {50002, Code::kPermissionDenied, "The account is restricted from this API."},
    {61004, Code::kPermissionDenied,
     "The gateway's egress IP is not in the component's IP whitelist."},
    {76001, Code::kNotFound, "The rid does not exist or has expired."},
    {76002, Code::kInvalidArgument, "The rid is malformed."},
};

constexpr WeChatErrorRange kRanges[] = {
    {40000, 41999, Code::kInvalidArgument, "invalid or missing parameter"},
    {42000, 42999, Code::kUnauthenticated, "expired credential"},
    {43000, 43999, Code::kFailedPrecondition, "a precondition WeChat requires is not met"},
    {44000, 44999, Code::kInvalidArgument, "empty content"},
    {45000, 45999, Code::kResourceExhausted, "a limit was reached"},
    {46000, 46999, Code::kNotFound, "the object does not exist"},
    {47000, 47999, Code::kInvalidArgument, "malformed request"},
    {48000, 48999, Code::kPermissionDenied, "API not authorized"},
    {50000, 50999, Code::kPermissionDenied, "user or account restricted"},
};

const WeChatErrorRule* FindRule(int errcode) {
  for (const WeChatErrorRule& rule : kRules) {
    if (rule.errcode == errcode) return &rule;
  }
  return nullptr;
}

const WeChatErrorRange* FindRange(int errcode) {
  for (const WeChatErrorRange& range : kRanges) {
    if (errcode >= range.first && errcode <= range.last) return &range;
  }
  return nullptr;
}

}  // namespace

std::span<const WeChatErrorRule> WeChatErrorRules() { return kRules; }
std::span<const WeChatErrorRange> WeChatErrorRanges() { return kRanges; }

absl::StatusCode StatusCodeForErrcode(int errcode) {
  if (const WeChatErrorRule* rule = FindRule(errcode)) return rule->code;
  if (const WeChatErrorRange* range = FindRange(errcode)) return range->code;
  return Code::kUnknown;
}

absl::Status WeChatError(int errcode, absl::string_view errmsg) {
  // WeChat appends " rid: <request id>" (sometimes after a comma or " hint:").
  std::string rid;
  absl::string_view text = errmsg;
  if (size_t at = errmsg.rfind("rid: "); at != absl::string_view::npos) {
    rid = std::string(errmsg.substr(at + 5));
    text = absl::StripTrailingAsciiWhitespace(errmsg.substr(0, at));
    text = absl::StripSuffix(text, ",");
  }
  std::string message = absl::StrCat("WeChat errcode ", errcode, ": ", text);
  if (const WeChatErrorRule* rule = FindRule(errcode)) {
    absl::StrAppend(&message, ". ", rule->advice);
  } else if (const WeChatErrorRange* range = FindRange(errcode)) {
    absl::StrAppend(&message, " (", range->meaning, ")");
  }
  absl::flat_hash_map<std::string, std::string> metadata = {{"errcode", absl::StrCat(errcode)},
                                                            {"errmsg", std::string(text)}};
  if (!rid.empty()) metadata["rid"] = rid;
  return ErrorWithInfo(StatusCodeForErrcode(errcode), message, absl::StrCat("WECHAT_", errcode),
                       kWeChatDomain, metadata);
}

bool IsStaleTokenErrcode(int errcode) {
  return errcode == 40001 || errcode == 40014 || errcode == 42001;
}

std::optional<int> WeChatErrcodeOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  if (!info || info->domain() != kWeChatDomain) return std::nullopt;
  auto it = info->metadata().find("errcode");
  int errcode = 0;
  if (it == info->metadata().end() || !absl::SimpleAtoi(it->second, &errcode)) return std::nullopt;
  return errcode;
}

bool IsStaleTokenError(const absl::Status& status) {
  std::optional<int> errcode = WeChatErrcodeOf(status);
  return errcode && IsStaleTokenErrcode(*errcode);
}

}  // namespace wxgate
