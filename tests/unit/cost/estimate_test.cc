// The estimate's arithmetic against figures worked out by hand from the price table.
#include "cost/estimate.h"

#include <gtest/gtest.h>

namespace wpfleet::cost {
namespace {

const Figure* find(const std::vector<Figure>& figures, const std::string& name) {
  for (const auto& f : figures) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

double cost_of(const TenantEstimate& e, const std::string& name) {
  const Figure* f = find(e.costs, name);
  EXPECT_NE(f, nullptr) << name;
  return f ? f->value : -1;
}

TEST(MonthTest, ParsesAndKnowsItsLength) {
  auto november = parse_month("2026-11");
  ASSERT_TRUE(november.ok());
  EXPECT_EQ(november->days(), 30);
  EXPECT_EQ(november->hours(), 720);
  EXPECT_EQ(november->first_day(), "2026-11-01");
  EXPECT_EQ(november->next_first_day(), "2026-12-01");
  EXPECT_EQ(november->start_unix(), 1793491200);
  EXPECT_EQ(november->end_unix(), 1796083200);
  EXPECT_EQ(parse_month("2028-02")->days(), 29);
  EXPECT_EQ(parse_month("2026-12")->next_first_day(), "2027-01-01");
  EXPECT_EQ(month_of(1793491200 + 86400 * 29 + 3600).text(), "2026-11");
}

TEST(MonthTest, RefusesWhatIsNotAMonthSayingTheForm) {
  for (const char* bad : {"2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-1x", "", "1999-12"}) {
    auto month = parse_month(bad);
    ASSERT_FALSE(month.ok()) << bad;
    EXPECT_NE(month.error().message.find("YYYY-MM"), std::string::npos);
  }
}

TEST(PricesTest, KnowsItsRegionsAndSaysWhatItLacks) {
  ASSERT_TRUE(prices_for("eu-west-1").ok());
  ASSERT_TRUE(prices_for("us-east-1").ok());
  ASSERT_TRUE(prices_for("af-south-1").ok());
  auto frankfurt = prices_for("eu-central-1");
  ASSERT_FALSE(frankfurt.ok());
  EXPECT_NE(frankfurt.error().message.find("us-east-1, eu-west-1, af-south-1"), std::string::npos);
  EXPECT_NE(frankfurt.error().message.find("src/cost/prices.cc"), std::string::npos);
  EXPECT_DOUBLE_EQ(*rds_hourly(**prices_for("us-east-1"), "db.t4g.micro"), 0.016);
  auto unknown = rds_hourly(**prices_for("us-east-1"), "db.r6g.large");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("db.t3.micro"), std::string::npos);
  EXPECT_FALSE(price_table_source().as_of.empty());
}

// The regions transcribed whole have every price; Cape Town only those a source was cited
// for (prices.cc), and nothing else.
TEST(PricesTest, CapeTownHasTheCitedPricesOnlyAndTheOthersHaveThemAll) {
  for (auto region : priced_regions()) {
    if (region == "af-south-1") continue;
    EXPECT_TRUE(missing_prices(**prices_for(region)).empty()) << region;
  }
  const RegionPrices& cape_town = **prices_for("af-south-1");
  EXPECT_EQ(cape_town.fargate_vcpu_hour, 0.0546);
  EXPECT_EQ(cape_town.fargate_gb_hour, 0.006);
  EXPECT_EQ(cape_town.cloudfront_gb, 0.110);
  EXPECT_EQ(missing_prices(cape_town),
            (std::vector<std::string>{"EFS Standard per GB-month", "ALB per hour", "ALB per LCU-hour",
                                      "CloudFront per 10,000 HTTPS requests",
                                      "Secrets Manager per secret-month",
                                      "CloudWatch Logs per GB ingested", "RDS for MySQL per instance-hour"}));
}

// An estimate in af-south-1 prices what the table has and names each price it lacks, with
// what it leaves out for want of it.
TEST(EstimateTest, CapeTownEstimatesFargateAndNamesThePricesItLacks) {
  const Month november = *parse_month("2026-11");
  TenantResources a{.tenant = "a", .vcpu = 0.25, .memory_gb = 0.5, .tasks = 1, .requests = 10};
  SharedResources shared{.rds_class = "db.t3.micro", .efs_bytes = 10 * kBytesPerGb, .cloudfront = true,
                         .cloudfront_bytes = kBytesPerGb, .cloudfront_requests = 10};
  const Estimate e = estimate(**prices_for("af-south-1"), november, {a}, shared);
  // 720 h x (0.25 x 0.0546 + 0.5 x 0.006) = 11.988
  EXPECT_NEAR(cost_of(e.tenants[0], "fargate"), 11.988, 1e-9);
  EXPECT_NEAR(e.tenants[0].total(), 11.988, 1e-9);  // nothing priced without its price
  EXPECT_TRUE(e.shared.empty());
  std::string notes;
  for (const auto& note : e.notes) notes += note + "\n";
  for (const char* lacking :
       {"af-south-1 price for Secrets Manager per secret-month", "leaves out secrets",
        "CloudWatch Logs per GB ingested", "leaves out logs", "ALB per hour and ALB per LCU-hour",
        "leaves out alb", "EFS Standard per GB-month", "leaves out efs",
        "CloudFront per 10,000 HTTPS requests", "leaves out cloudfront",
        "no price for RDS class db.t3.micro in af-south-1"}) {
    EXPECT_NE(notes.find(lacking), std::string::npos) << lacking << " in\n" << notes;
  }
  EXPECT_EQ(e.notes.size(), 6u) << notes;
}

TEST(SplitTest, ProportionalOrEqualWithoutWeights) {
  EXPECT_EQ(split(12, {3, 1}), (std::vector<double>{9, 3}));
  EXPECT_EQ(split(12, {0, 0, 0}), (std::vector<double>{4, 4, 4}));
  EXPECT_DOUBLE_EQ(alb_lcu_hours(9'000'000, 720), 100);
}

// Two tenants in eu-west-1 for November 2026 (720 hours).
TEST(EstimateTest, OwnResourcesAndSharesByTheStatedRules) {
  const Month november = *parse_month("2026-11");
  TenantResources a{.tenant = "a", .vcpu = 0.25, .memory_gb = 0.5, .tasks = 1, .secrets = 1,
                    .log_bytes = 2 * kBytesPerGb, .storage_bytes = 0,
                    .database_bytes = 3 * kBytesPerGb, .requests = 6'000'000};
  TenantResources b{.tenant = "b", .vcpu = 0.25, .memory_gb = 0.5, .tasks = 0, .secrets = 1,
                    .log_bytes = 0, .storage_bytes = 0, .database_bytes = 1 * kBytesPerGb,
                    .requests = 3'000'000};
  SharedResources shared{.rds_class = "db.t3.micro", .efs_bytes = 10 * kBytesPerGb};
  const Estimate e = estimate(**prices_for("eu-west-1"), november, {a, b}, shared);
  ASSERT_EQ(e.tenants.size(), 2u);
  // 720 h x (0.25 x 0.04048 + 0.5 x 0.004445) = 8.8866
  EXPECT_NEAR(cost_of(e.tenants[0], "fargate"), 8.8866, 1e-9);
  EXPECT_NEAR(e.tenants[0].fargate_usd, 8.8866, 1e-9);
  EXPECT_EQ(cost_of(e.tenants[1], "fargate"), 0);  // asleep: no task
  EXPECT_NEAR(cost_of(e.tenants[0], "secrets"), 0.40, 1e-12);
  EXPECT_NEAR(cost_of(e.tenants[0], "logs"), 2 * 0.57, 1e-12);
  // RDS: 0.018 x 720 = 12.96, by database bytes 3:1.
  EXPECT_NEAR(find(e.shared, "rds")->value, 12.96, 1e-9);
  EXPECT_NEAR(cost_of(e.tenants[0], "rds share"), 9.72, 1e-9);
  EXPECT_NEAR(cost_of(e.tenants[1], "rds share"), 3.24, 1e-9);
  // ALB: 720 x 0.0252 + 9M requests / (25 x 3600) = 100 LCU-h x 0.008 = 18.944, by requests 2:1.
  EXPECT_NEAR(find(e.shared, "alb")->value, 18.944, 1e-9);
  EXPECT_NEAR(cost_of(e.tenants[0], "alb share"), 18.944 * 2 / 3, 1e-9);
  // EFS: 10 GB x 0.33 = 3.30, equally (no file bytes measured).
  EXPECT_NEAR(cost_of(e.tenants[1], "efs share"), 1.65, 1e-9);
  EXPECT_NE(find(e.tenants[1].costs, "efs share")->basis.find("split equally"), std::string::npos);
  EXPECT_EQ(find(e.shared, "cloudfront"), nullptr);  // not asked for
  EXPECT_NEAR(e.tenants[0].total(), 8.8866 + 0.40 + 1.14 + 9.72 + 18.944 * 2 / 3 + 1.65, 1e-9);
  EXPECT_EQ(e.rules.size(), 3u);
  EXPECT_TRUE(e.notes.empty());
  for (const auto& f : e.tenants[0].costs) {
    EXPECT_EQ(f.unit, "USD");
    EXPECT_EQ(f.source, Source::Estimated);
    EXPECT_FALSE(f.basis.empty()) << f.name;
  }
}

TEST(EstimateTest, CloudFrontByRequestsAndAnUnknownRdsClassNoted) {
  const Month november = *parse_month("2026-11");
  TenantResources a{.tenant = "a", .requests = 1};
  TenantResources b{.tenant = "b", .requests = 3};
  SharedResources shared{.rds_class = "db.x9.huge", .alb = false, .cloudfront = true,
                         .cloudfront_bytes = 100 * kBytesPerGb, .cloudfront_requests = 1'000'000};
  const Estimate e = estimate(**prices_for("us-east-1"), november, {a, b}, shared);
  // 100 GB x 0.085 + 100 x 0.01 = 9.50, by requests 1:3.
  EXPECT_NEAR(find(e.shared, "cloudfront")->value, 9.5, 1e-9);
  EXPECT_NEAR(cost_of(e.tenants[1], "cloudfront share"), 9.5 * 3 / 4, 1e-9);
  EXPECT_EQ(find(e.shared, "rds"), nullptr);
  ASSERT_EQ(e.notes.size(), 1u);
  EXPECT_NE(e.notes[0].find("db.x9.huge"), std::string::npos);
}

}  // namespace
}  // namespace wpfleet::cost
