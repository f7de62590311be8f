#include "auth/caller_identity.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace wxgate {
namespace {

// The keys of an Envoy x-forwarded-client-cert element.
constexpr std::array<absl::string_view, 7> kXfccKeys = {"By",      "Hash", "Cert", "Chain",
                                                        "Subject", "URI",  "DNS"};

// Splits at `separator` outside double quotes (XFCC quotes values holding ',', ';'
// or '=', and escapes '"' inside them as \").
std::vector<absl::string_view> SplitOutsideQuotes(absl::string_view text, char separator) {
  std::vector<absl::string_view> parts;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && quoted) {
      ++i;  // the escaped character
    } else if (text[i] == '"') {
      quoted = !quoted;
    } else if (text[i] == separator && !quoted) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(text.substr(start));
  return parts;
}

// A value without its surrounding quotes and escapes.
std::string Unquoted(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::string(value);
  value = value.substr(1, value.size() - 2);
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    out.push_back(value[i]);
  }
  return out;
}

bool IsXfccKey(absl::string_view key) {
  for (absl::string_view known : kXfccKeys) {
    if (absl::EqualsIgnoreCase(key, known)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> CertificateIdentities(const CertificateNames& names) {
  std::vector<std::string> identities;
  if (!names.has_subject_alt_names) {
    if (!names.common_name.empty()) identities.push_back(names.common_name);
    return identities;
  }
  identities.insert(identities.end(), names.uris.begin(), names.uris.end());
  identities.insert(identities.end(), names.dns_names.begin(), names.dns_names.end());
  return identities;
}

std::vector<std::string> IdentitiesFromHeader(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return {};
  // The last element is the one the nearest proxy (the trusted one) appended.
  const absl::string_view element = SplitOutsideQuotes(value, ',').back();
  const std::vector<absl::string_view> pairs = SplitOutsideQuotes(element, ';');
  const size_t equals = pairs.front().find('=');
  if (equals == absl::string_view::npos ||
      !IsXfccKey(absl::StripAsciiWhitespace(pairs.front().substr(0, equals)))) {
    return {std::string(value)};  // not XFCC: the whole value is the identity
  }
  std::vector<std::string> uris;
  std::vector<std::string> dns_names;
  for (absl::string_view pair : pairs) {
    const size_t at = pair.find('=');
    if (at == absl::string_view::npos) continue;
    const absl::string_view key = absl::StripAsciiWhitespace(pair.substr(0, at));
    std::string item = Unquoted(pair.substr(at + 1));
    if (item.empty()) continue;
    if (absl::EqualsIgnoreCase(key, "URI")) uris.push_back(std::move(item));
    if (absl::EqualsIgnoreCase(key, "DNS")) dns_names.push_back(std::move(item));
  }
  return uris.empty() ? dns_names : uris;
}

}  // namespace wxgate
