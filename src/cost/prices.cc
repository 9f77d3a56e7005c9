#include "cost/prices.h"

namespace wpfleet::cost {

namespace {

// On-demand list prices in USD. Update them all together, with the date below.
//
// af-south-1 (Cape Town, where the user's production is planned) is not in the table:
// its rates could not be confirmed from AWS's pages when this was written, and a guess
// would be presented as a price. `wpfleet cost` says so for an environment there and
// still shows what Cost Explorer billed.
const std::vector<RegionPrices>& table() {
  static const std::vector<RegionPrices> regions = {
      {
          .region = "us-east-1",
          .fargate_vcpu_hour = 0.04048,
          .fargate_gb_hour = 0.004445,
          .efs_standard_gb_month = 0.30,
          .alb_hour = 0.0225,
          .alb_lcu_hour = 0.008,
          .cloudfront_gb = 0.085,        // United States, Mexico and Canada
          .cloudfront_10k_https = 0.0100,
          .secret_month = 0.40,
          .logs_ingested_gb = 0.50,
          .rds = {{"db.t3.micro", 0.017},
                  {"db.t3.small", 0.034},
                  {"db.t3.medium", 0.068},
                  {"db.t3.large", 0.136},
                  {"db.t4g.micro", 0.016},
                  {"db.t4g.small", 0.032},
                  {"db.t4g.medium", 0.065},
                  {"db.t4g.large", 0.129}},
      },
      {
          .region = "eu-west-1",
          .fargate_vcpu_hour = 0.04048,
          .fargate_gb_hour = 0.004445,
          .efs_standard_gb_month = 0.33,
          .alb_hour = 0.0252,
          .alb_lcu_hour = 0.008,
          .cloudfront_gb = 0.085,        // Europe and Israel
          .cloudfront_10k_https = 0.0120,
          .secret_month = 0.40,
          .logs_ingested_gb = 0.57,
          .rds = {{"db.t3.micro", 0.018},
                  {"db.t3.small", 0.036},
                  {"db.t3.medium", 0.072},
                  {"db.t3.large", 0.144},
                  {"db.t4g.micro", 0.017},
                  {"db.t4g.small", 0.034},
                  {"db.t4g.medium", 0.068},
                  {"db.t4g.large", 0.136}},
      },
  };
  return regions;
}

}  // namespace

PriceTableSource price_table_source() {
  return {"2026-11-30",
          "AWS's public on-demand price pages (aws.amazon.com/fargate/pricing, "
          "/efs/pricing, /elasticloadbalancing/pricing, /rds/mysql/pricing, "
          "/cloudfront/pricing, /secrets-manager/pricing, /cloudwatch/pricing): Fargate "
          "Linux/x86, EFS Standard storage, ALB hour and LCU-hour, RDS for MySQL Single-AZ, "
          "CloudFront's first 10 TB and HTTPS requests, Secrets Manager secret-month, "
          "CloudWatch Logs standard ingestion; USD, before tax, free tier and discounts"};
}

std::vector<std::string_view> priced_regions() {
  std::vector<std::string_view> names;
  for (const auto& region : table()) names.push_back(region.region);
  return names;
}

Result<const RegionPrices*> prices_for(std::string_view region) {
  for (const auto& prices : table()) {
    if (prices.region == region) return &prices;
  }
  std::string known;
  for (auto name : priced_regions()) known += (known.empty() ? "" : ", ") + std::string(name);
  return make_error("wpfleet's price table (as of " + std::string(price_table_source().as_of) +
                    ") has no prices for region " + std::string(region) + ", only " + known +
                    ": add the region's rates to src/cost/prices.cc from AWS's price pages, "
                    "or rely on Cost Explorer's billed figures");
}

Result<double> rds_hourly(const RegionPrices& prices, std::string_view instance_class) {
  for (const auto& instance : prices.rds) {
    if (instance.instance_class == instance_class) return instance.usd_per_hour;
  }
  std::string known;
  for (const auto& instance : prices.rds) {
    known += (known.empty() ? "" : ", ") + std::string(instance.instance_class);
  }
  return make_error("wpfleet's price table has no price for RDS class " +
                    std::string(instance_class) + " in " + std::string(prices.region) +
                    " (it knows " + known + "): add it to src/cost/prices.cc");
}

}  // namespace wpfleet::cost
