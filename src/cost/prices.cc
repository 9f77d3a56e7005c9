#include "cost/prices.h"

namespace wpfleet::cost {

namespace {

// On-demand list prices in USD. Update them all together, with the date below.
//
// af-south-1 (Cape Town, where the user's production is planned, per their guide) has
// only the prices a source could be cited for, each with its source and the date it was
// read; the others are left out, never guessed, and the estimate names what it lacks.
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
      {
          .region = "af-south-1",
          // Fargate Linux/x86: the AWS Price List API's Cape Town catalog,
          // https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonECS/current/af-south-1/index.json
          // (usage types AFS1-Fargate-vCPU-Hours:perCPU and AFS1-Fargate-GB-Hours, publication
          // of 2026-08-31), as quoted by a public cost assessment (Cape Town list prices, its
          // "Price provenance" table, research date 2026-09-07); read 2026-11-30.
          .fargate_vcpu_hour = 0.0546,
          .fargate_gb_hour = 0.006,
          // Not found in a source that could be cited (2026-11-30): EFS Standard GB-month,
          // ALB hour and LCU-hour, Secrets Manager, CloudWatch Logs ingestion, CloudFront's
          // HTTPS requests, and RDS for MySQL (the Price List API's RDS af-south-1 catalog
          // was found quoted for PostgreSQL only).
          .efs_standard_gb_month = std::nullopt,
          .alb_hour = std::nullopt,
          .alb_lcu_hour = std::nullopt,
          // CloudFront to viewers in "South Africa, Kenya, Nigeria, and Middle East", first
          // 10 TB: https://aws.amazon.com/cloudfront/pricing/ ("Regional Data Transfer Out
          // to Internet (per GB)"), read 2026-11-30.
          .cloudfront_gb = 0.110,
          .cloudfront_10k_https = std::nullopt,
          .secret_month = std::nullopt,
          .logs_ingested_gb = std::nullopt,
          .rds = {},
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
          "CloudWatch Logs standard ingestion; USD, before tax, free tier and discounts; "
          "af-south-1 only the figures src/cost/prices.cc cites a source for"};
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

std::vector<std::string> missing_prices(const RegionPrices& prices) {
  std::vector<std::string> missing;
  for (const auto& [price, name] : kPriceNames) {
    if (!(prices.*price)) missing.emplace_back(name);
  }
  if (prices.rds.empty()) missing.emplace_back("RDS for MySQL per instance-hour");
  return missing;
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
                    " (it knows " + (known.empty() ? "none there" : known) +
                    "): add it to src/cost/prices.cc with its source");
}

}  // namespace wpfleet::cost
