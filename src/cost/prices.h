// AWS on-demand list prices for what a wpfleet tenant is made of, per region, as data:
// a dated table (prices.cc) rather than calls to the AWS Price List API, so that an
// estimate is reproducible and works without credentials. Knows nothing of wpfleet.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace wpfleet::cost {

// One RDS instance class's hourly on-demand price (MySQL, Single-AZ).
struct InstancePrice {
  std::string_view instance_class;  // "db.t3.micro"
  double usd_per_hour;
};

// A price the table has for the region; nullopt where no source could be cited for it (never
// a guess): the estimate then leaves out what it would price and says so.
using Price = std::optional<double>;

struct RegionPrices {
  std::string_view region;
  Price fargate_vcpu_hour;    // Linux/x86, per vCPU-hour
  Price fargate_gb_hour;      // Linux/x86, per GB-hour of memory
  Price efs_standard_gb_month;
  Price alb_hour;             // per Application Load Balancer-hour
  Price alb_lcu_hour;         // per LCU-hour
  Price cloudfront_gb;        // data out to the internet, first 10 TB, the region's viewers
  Price cloudfront_10k_https; // per 10,000 HTTPS requests, the region's viewers
  Price secret_month;         // Secrets Manager, per secret-month
  Price logs_ingested_gb;     // CloudWatch Logs, standard class ingestion
  std::vector<InstancePrice> rds;
};

// When the table was transcribed and from where, for every output that uses it.
struct PriceTableSource {
  std::string_view as_of;  // "2026-11-30"
  std::string_view source;
};
PriceTableSource price_table_source();

// The regions the table has, in its order.
std::vector<std::string_view> priced_regions();

// The region's prices; an error naming the regions the table has when it lacks it.
Result<const RegionPrices*> prices_for(std::string_view region);

// What each price is called in a note ("Fargate per vCPU-hour").
struct PriceName {
  Price RegionPrices::*price;
  std::string_view name;
};
inline constexpr PriceName kPriceNames[] = {
    {&RegionPrices::fargate_vcpu_hour, "Fargate per vCPU-hour"},
    {&RegionPrices::fargate_gb_hour, "Fargate per GB-hour"},
    {&RegionPrices::efs_standard_gb_month, "EFS Standard per GB-month"},
    {&RegionPrices::alb_hour, "ALB per hour"},
    {&RegionPrices::alb_lcu_hour, "ALB per LCU-hour"},
    {&RegionPrices::cloudfront_gb, "CloudFront per GB"},
    {&RegionPrices::cloudfront_10k_https, "CloudFront per 10,000 HTTPS requests"},
    {&RegionPrices::secret_month, "Secrets Manager per secret-month"},
    {&RegionPrices::logs_ingested_gb, "CloudWatch Logs per GB ingested"},
};

// The names of the prices the region lacks, in kPriceNames' order ("RDS ..." last when it
// has no RDS class); empty when it has them all.
std::vector<std::string> missing_prices(const RegionPrices& prices);

// The hourly price of an RDS class in the region; an error naming the classes known.
Result<double> rds_hourly(const RegionPrices& prices, std::string_view instance_class);

}  // namespace wpfleet::cost
