// The shape of a WeChat AppID: "wx" followed by 16 hexadecimal digits.
#ifndef WXGATE_SERVICE_TOKEN_APPID_H_
#define WXGATE_SERVICE_TOKEN_APPID_H_

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace wxgate {

inline bool IsAppid(absl::string_view appid) {
  return appid.size() == 18 && absl::StartsWith(appid, "wx") &&
         std::all_of(appid.begin() + 2, appid.end(),
                     [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_APPID_H_
