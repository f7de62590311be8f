#include "service/errors/error_table_doc.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "service/errors/wechat_errors.h"

namespace wxgate {
namespace {

// gRPC's spelling of a code (absl::StatusCodeToString says "INVALID_ARGUMENT" too).
std::string CodeName(absl::StatusCode code) { return absl::StatusCodeToString(code); }

}  // namespace

std::string ErrorTableMarkdown() {
  std::string out = "| errcode | gRPC code | what to do |\n|---|---|---|\n";
  for (const WeChatErrorRule& rule : WeChatErrorRules()) {
    absl::StrAppend(&out, "| ", rule.errcode, " | ", CodeName(rule.code), " | ", rule.advice,
                    " |\n");
  }
  absl::StrAppend(&out, "\n| errcode range | gRPC code | meaning |\n|---|---|---|\n");
  for (const WeChatErrorRange& range : WeChatErrorRanges()) {
    absl::StrAppend(&out, "| ", range.first, "–", range.last, " | ", CodeName(range.code), " | ",
                    range.meaning, " |\n");
  }
  absl::StrAppend(&out, "| any other | UNKNOWN | |\n");
  return out;
}

}  // namespace wxgate
