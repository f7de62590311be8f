#include "service/token/permission_sets.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace wxgate {
namespace {

// From WeChat's permission-set tables for Official Accounts (shared/catalog/permission-sets.tsv).
const absl::flat_hash_map<int, absl::string_view>& Names() {
  static const auto* names = new absl::flat_hash_map<int, absl::string_view>{
      {1, "Message management"},
      {2, "User management"},
      {3, "Account service"},
      {4, "Web services"},
      {5, "WeChat Store"},
      {6, "Multi-customer service"},
      {7, "Mass and notification"},
      {8, "Card voucher"},
      {9, "WeChat scan"},
      {10, "WeChat Wi-Fi"},
      {11, "Material management"},
      {12, "Shake around"},
      {13, "Stores"},
      {15, "Menu management"},
      {22, "City services"},
      {23, "Advertising management"},
      {24, "Open platform account management"},
      {26, "E-invoice"},
      {27, "Quick registration of mini programs"},
      {33, "Mini program association management"},
      {34, "Merchandise library management"},
      {35, "WeChat calories"},
      {44, "Circle of good things"},
      {46, "One thing one code"},
      {47, "Financial electronic notes"},
      {54, "Service number dialog management"},
      {66, "Service market management"},
      {89, "Service number subscription notice"},
      {121, "Shopping order"},
  };
  return *names;
}

}  // namespace

std::string PermissionSetName(int id) {
  auto it = Names().find(id);
  return it == Names().end() ? absl::StrCat("permission set ", id) : std::string(it->second);
}

bool GrantsAnyOf(const std::vector<int>& granted, absl::Span<const int> needed) {
  if (needed.empty()) return true;
  return std::any_of(needed.begin(), needed.end(), [&](int id) {
    return std::find(granted.begin(), granted.end(), id) != granted.end();
  });
}

}  // namespace wxgate
