#include "service/server/token_metrics.h"

#include <limits>
#include <map>
#include <string>

namespace wxgate {
namespace {

constexpr TokenKind kAccountKinds[] = {TokenKind::kAccessToken, TokenKind::kJsapiTicket,
                                       TokenKind::kWxCardTicket};

// Tickets are left out until asked for: most accounts never use them.
bool Shown(TokenKind kind, const TokenState& state) {
  return kind == TokenKind::kAccessToken || state.fetches + state.failed_fetches > 0;
}

void AddSeries(std::vector<Sample>& samples, const std::vector<std::string>& labels,
               const TokenState& state, absl::Time now, bool with_expiry, bool with_fetches) {
  if (with_expiry) {
    samples.push_back({Metric::kTokenExpiry, labels,
                       state.valid ? absl::ToDoubleSeconds(state.expires_at - now) : -1});
  }
  if (with_fetches) {
    samples.push_back({Metric::kTokenFetches, labels, static_cast<double>(state.fetches)});
    samples.push_back(
        {Metric::kTokenFetchFailures, labels, static_cast<double>(state.failed_fetches)});
  }
}

void AddAuthorizers(const TokenMetricSources& sources, const Account& component, absl::Time now,
                    size_t max_series, std::vector<Sample>& samples) {
  const AuthorizerDirectory::Listing all =
      sources.authorizers(component, std::numeric_limits<size_t>::max());
  samples.push_back({Metric::kAuthorizers, {component.appid}, static_cast<double>(all.total)});
  std::map<TokenKind, TokenState> others;  // summed fetch counts past the first ones
  for (size_t i = 0; i < all.first.size(); ++i) {
    const Account& authorizer = *all.first[i];
    for (TokenKind kind : kAccountKinds) {
      const TokenState state = sources.token_state(authorizer, kind);
      if (i >= max_series) {
        TokenState& sum = others[kind];
        sum.fetches += state.fetches;
        sum.failed_fetches += state.failed_fetches;
      } else if (Shown(kind, state)) {
        AddSeries(samples, {component.appid, authorizer.appid, std::string(TokenKindName(kind))},
                  state, now, true, true);
      }
    }
  }
  for (const auto& [kind, sum] : others) {
    if (!Shown(kind, sum)) continue;
    AddSeries(samples, {component.appid, "other", std::string(TokenKindName(kind))}, sum, now,
              false, true);
  }
}

}  // namespace

std::vector<Sample> ReadTokenMetrics(const TokenMetricSources& sources, absl::Time now,
                                     size_t max_authorizer_series) {
  std::vector<Sample> samples;
  for (const Account* account : sources.accounts) {
    for (TokenKind kind : kAccountKinds) {
      const TokenState state = sources.token_state(*account, kind);
      if (!Shown(kind, state)) continue;
      AddSeries(samples, {"", account->appid, std::string(TokenKindName(kind))}, state, now, true,
                true);
      if (kind == TokenKind::kAccessToken) {
        samples.push_back(
            {Metric::kForceRefreshLeft, {account->appid}, double(state.force_refresh_left)});
      }
    }
  }
  // A platform's own credentials, under its component_appid: the ticket's expiry
  // (-1 until one is known; it is pushed, never fetched) and the token's.
  for (const Account* component : sources.components) {
    for (TokenKind kind : {TokenKind::kComponentVerifyTicket, TokenKind::kComponentAccessToken}) {
      AddSeries(samples, {"", component->appid, std::string(TokenKindName(kind))},
                sources.token_state(*component, kind), now, true,
                kind == TokenKind::kComponentAccessToken);
    }
    if (sources.authorizers) {
      AddAuthorizers(sources, *component, now, max_authorizer_series, samples);
    }
  }
  return samples;
}

}  // namespace wxgate
