// AWS on-demand list prices for what a wpfleet tenant is made of, per region, as data:
// a dated table (prices.cc) rather than calls to the AWS Price List API, so that an
// estimate is reproducible and works without credentials. Knows nothing of wpfleet.
#pragma once

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

struct RegionPrices {
  std::string_view region;
  double fargate_vcpu_hour;    // Linux/x86, per vCPU-hour
  double fargate_gb_hour;      // Linux/x86, per GB-hour of memory
  double efs_standard_gb_month;
  double alb_hour;             // per Application Load Balancer-hour
  double alb_lcu_hour;         // per LCU-hour
  double cloudfront_gb;        // data out to the internet, first 10 TB, the region's viewers
  double cloudfront_10k_https; // per 10,000 HTTPS requests, the region's viewers
  double secret_month;         // Secrets Manager, per secret-month
  double logs_ingested_gb;     // CloudWatch Logs, standard class ingestion
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

// The hourly price of an RDS class in the region; an error naming the classes known.
Result<double> rds_hourly(const RegionPrices& prices, std::string_view instance_class);

}  // namespace wpfleet::cost
