#include "service/callback/request_target.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace wxgate {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string Decode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::string RequestTarget::Param(absl::string_view name) const {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

RequestTarget ParseRequestTarget(absl::string_view target) {
  RequestTarget parsed;
  const size_t question = target.find('?');
  parsed.path = Decode(target.substr(0, question), /*plus_is_space=*/false);
  if (question == absl::string_view::npos) return parsed;
  for (absl::string_view pair :
       absl::StrSplit(target.substr(question + 1), '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    parsed.query.try_emplace(Decode(kv.first, true), Decode(kv.second, true));
  }
  return parsed;
}

}  // namespace wxgate
