#include "tests/fake_wechat/url_query.h"

#include "absl/strings/str_split.h"

namespace wxgate::fake {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string FormDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Target ParseTarget(absl::string_view target) {
  Target result;
  const size_t question = target.find('?');
  result.path = std::string(target.substr(0, question));
  if (question == absl::string_view::npos) return result;
  for (absl::string_view pair :
       absl::StrSplit(target.substr(question + 1), '&', absl::SkipEmpty())) {
    const size_t equals = pair.find('=');
    std::string name = FormDecode(pair.substr(0, equals));
    std::string value =
        equals == absl::string_view::npos ? std::string() : FormDecode(pair.substr(equals + 1));
    result.query[std::move(name)] = std::move(value);
  }
  return result;
}

}  // namespace wxgate::fake
