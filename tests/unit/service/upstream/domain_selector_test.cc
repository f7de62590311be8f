// DomainSelector on a test clock: one switch per failing domain however many calls
// saw it fail, probes of the primary by reads only and once per interval, and the
// move back when a probe succeeds.
#include "service/upstream/domain_selector.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wxgate {
namespace {

using ::testing::ElementsAre;

class DomainSelectorTest : public ::testing::Test {
 protected:
  DomainSelector& Make(std::vector<std::string> base_urls) {
    selector_ = std::make_unique<DomainSelector>(
        std::move(base_urls), absl::Seconds(10),
        [this](const DomainSelector::Switch& change) {
          switches_.push_back(change.from + " -> " + change.to +
                              (change.back_to_primary ? " (back)" : ""));
        },
        [this] { return now_; });
    return *selector_;
  }

  absl::Time now_ = absl::FromUnixSeconds(1'000'000);
  std::vector<std::string> switches_;
  std::unique_ptr<DomainSelector> selector_;
};

TEST_F(DomainSelectorTest, StartsOnThePrimaryAndPlansTheOthersInOrder) {
  DomainSelector& domains = Make({"https://a", "https://b", "https://c"});
  EXPECT_EQ(domains.current(), "https://a");
  EXPECT_THAT(domains.Plan(true), ElementsAre(0, 1, 2));
  EXPECT_THAT(domains.Plan(false), ElementsAre(0, 1, 2));
}

TEST_F(DomainSelectorTest, OneDomainNeverSwitches) {
  DomainSelector& domains = Make({"https://a"});
  domains.Failed(domains.Begin(0));
  EXPECT_EQ(domains.current(), "https://a");
  EXPECT_THAT(domains.Plan(true), ElementsAre(0));
  EXPECT_TRUE(switches_.empty());
}

TEST_F(DomainSelectorTest, AFailureOfTheCurrentDomainSwitchesLaterCallsOnce) {
  DomainSelector& domains = Make({"https://a", "https://b", "https://c"});
  // Three calls in flight to a when it fails: only the first failure switches.
  std::vector<DomainSelector::Attempt> in_flight = {domains.Begin(0), domains.Begin(0),
                                                    domains.Begin(0)};
  for (const auto& attempt : in_flight) domains.Failed(attempt);
  EXPECT_EQ(domains.current(), "https://b");
  EXPECT_THAT(domains.Plan(false), ElementsAre(1, 2, 0));
  EXPECT_THAT(switches_, ElementsAre("https://a -> https://b"));
}

TEST_F(DomainSelectorTest, ALateSuccessFromBeforeTheSwitchDoesNotMoveBack) {
  DomainSelector& domains = Make({"https://a", "https://b"});
  DomainSelector::Attempt early = domains.Begin(0);
  domains.Failed(domains.Begin(0));
  domains.Succeeded(early);
  EXPECT_EQ(domains.current(), "https://b");
  EXPECT_EQ(switches_.size(), 1u);
}

TEST_F(DomainSelectorTest, FailuresOfOtherDomainsDoNotSwitch) {
  DomainSelector& domains = Make({"https://a", "https://b", "https://c"});
  domains.Failed(domains.Begin(2));
  EXPECT_EQ(domains.current(), "https://a");
  now_ += absl::Seconds(10);  // c's failure is old news
  domains.Failed(domains.Begin(0));
  domains.Failed(domains.Begin(0));  // a is no longer current: no second switch
  EXPECT_EQ(domains.current(), "https://b");
  domains.Failed(domains.Begin(1));
  EXPECT_EQ(domains.current(), "https://c");
  EXPECT_THAT(switches_, ElementsAre("https://a -> https://b", "https://b -> https://c"));
}

TEST_F(DomainSelectorTest, AReadProbesThePrimaryOncePerInterval) {
  DomainSelector& domains = Make({"https://a", "https://b", "https://c"});
  domains.Failed(domains.Begin(0));
  EXPECT_THAT(domains.Plan(true), ElementsAre(1, 2, 0)) << "not before the interval";
  now_ += absl::Seconds(10);
  EXPECT_THAT(domains.Plan(false), ElementsAre(1, 2, 0)) << "a write never probes";
  EXPECT_THAT(domains.Plan(true), ElementsAre(0, 1, 2)) << "this read probes a";
  EXPECT_THAT(domains.Plan(true), ElementsAre(1, 2, 0)) << "one probe per interval";
  now_ += absl::Seconds(10);
  EXPECT_THAT(domains.Plan(true), ElementsAre(0, 1, 2));
}

TEST_F(DomainSelectorTest, AFailedProbeKeepsTheFallback) {
  DomainSelector& domains = Make({"https://a", "https://b"});
  domains.Failed(domains.Begin(0));
  now_ += absl::Seconds(10);
  ASSERT_THAT(domains.Plan(true), ElementsAre(0, 1));
  domains.Failed(domains.Begin(0));
  EXPECT_EQ(domains.current(), "https://b");
  EXPECT_THAT(switches_, ElementsAre("https://a -> https://b"));
}

TEST_F(DomainSelectorTest, ASuccessfulProbeMovesEveryLaterCallBack) {
  DomainSelector& domains = Make({"https://a", "https://b"});
  domains.Failed(domains.Begin(0));
  now_ += absl::Seconds(10);
  ASSERT_THAT(domains.Plan(true), ElementsAre(0, 1));
  domains.Succeeded(domains.Begin(0));
  EXPECT_EQ(domains.current(), "https://a");
  EXPECT_THAT(domains.Plan(false), ElementsAre(0, 1));
  EXPECT_THAT(switches_, ElementsAre("https://a -> https://b", "https://b -> https://a (back)"));
}

TEST_F(DomainSelectorTest, SuccessesOnAFallbackChangeNothing) {
  DomainSelector& domains = Make({"https://a", "https://b", "https://c"});
  domains.Failed(domains.Begin(0));
  domains.Succeeded(domains.Begin(1));
  domains.Succeeded(domains.Begin(2));
  EXPECT_EQ(domains.current(), "https://b");
  EXPECT_EQ(switches_.size(), 1u);
}

TEST_F(DomainSelectorTest, ASwitchSkipsDomainsThatFailedLately) {
  DomainSelector& domains = Make({"https://a", "https://b", "https://c"});
  domains.Failed(domains.Begin(1));  // b failed a read that had gone on from a
  domains.Failed(domains.Begin(0));
  EXPECT_EQ(domains.current(), "https://c");
  EXPECT_THAT(switches_, ElementsAre("https://a -> https://c"));
}

TEST_F(DomainSelectorTest, WhenEveryDomainFailsCallsStayInsteadOfFlipping) {
  DomainSelector& domains = Make({"https://a", "https://b"});
  domains.Failed(domains.Begin(0));
  for (int i = 0; i < 5; ++i) domains.Failed(domains.Begin(1));
  EXPECT_EQ(domains.current(), "https://b");
  EXPECT_THAT(switches_, ElementsAre("https://a -> https://b"));
  // Once a's failure is a probe interval old, a failure of b may move calls back.
  now_ += absl::Seconds(10);
  domains.Failed(domains.Begin(1));
  EXPECT_EQ(domains.current(), "https://a");
}

TEST_F(DomainSelectorTest, AnAnswerClearsADomainsFailure) {
  DomainSelector& domains = Make({"https://a", "https://b"});
  domains.Failed(domains.Begin(1));
  domains.Succeeded(domains.Begin(1));
  domains.Failed(domains.Begin(0));
  EXPECT_EQ(domains.current(), "https://b");
}

}  // namespace
}  // namespace wxgate
