// The permission sets (权限集) an account grants a third-party platform when it
// authorizes it: func_info's funcscope_category ids, as WeChat numbers them.
#ifndef WXGATE_SERVICE_TOKEN_PERMISSION_SETS_H_
#define WXGATE_SERVICE_TOKEN_PERMISSION_SETS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace wxgate {

// "Message management" for 1, …; "permission set <id>" for an id WeChat added later.
std::string PermissionSetName(int id);

// Whether `granted` holds one of `needed` (an empty `needed` needs nothing).
bool GrantsAnyOf(const std::vector<int>& granted, absl::Span<const int> needed);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_PERMISSION_SETS_H_
