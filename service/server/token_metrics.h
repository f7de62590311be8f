// ReadTokenMetrics: the token series of /metrics, read from the token manager at
// scrape time, for accounts, third-party platforms and their authorizers:
//
//   ReadTokenMetrics({.accounts = {&wx1}, .components = {&wxc}, .token_state = ...,
//                     .authorizers = ...}, now)
//     -> wxgate_token_expiry_seconds{appid="wx1",kind="access_token"} 7000
//        wxgate_token_fetches_total{appid="wxc",kind="component_access_token"} 1
//        wxgate_token_fetches_total{component="wxc",appid="wxa",kind="access_token"} 1
//        wxgate_token_fetches_total{component="wxc",appid="other",kind="access_token"} 40
//        wxgate_authorizers{component="wxc"} 141
//        ...
//
// Cardinality stays bounded: accounts and components are configured, and of a
// platform's authorizers (up to components[].max_authorizers, 100,000 by default)
// only the first `max_authorizer_series` this replica met get series of their own.
// The fetch counters of the others are summed under appid "other": the directory
// never removes an entry and keeps their order, so that set only grows and the sum
// never goes down, as a counter must. Reading them all costs one TokenState per
// authorizer and kind at each scrape. Tickets show only once fetched or failed.
#ifndef WXGATE_SERVICE_SERVER_TOKEN_METRICS_H_
#define WXGATE_SERVICE_SERVER_TOKEN_METRICS_H_

#include <functional>
#include <vector>

#include "absl/time/time.h"
#include "service/call/authorizer_directory.h"
#include "service/observe/metrics.h"
#include "service/token/account.h"
#include "service/token/token_kind.h"
#include "service/token/token_manager.h"

namespace wxgate {

// How many authorizers of each platform get series (and status lines) of their own.
inline constexpr size_t kAuthorizersListed = 100;

struct TokenMetricSources {
  std::vector<const Account*> accounts;
  std::vector<const Account*> components;
  std::function<TokenState(const Account&, TokenKind)> token_state;
  // A component's authorizers: the first `max` and how many (empty without).
  std::function<AuthorizerDirectory::Listing(const Account& component, size_t max)> authorizers;
};

std::vector<Sample> ReadTokenMetrics(const TokenMetricSources& sources, absl::Time now,
                                     size_t max_authorizer_series = kAuthorizersListed);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_TOKEN_METRICS_H_
