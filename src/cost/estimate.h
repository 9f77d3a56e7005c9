// What a tenant costs, or would cost, on AWS: its own resources (Fargate tasks, its
// secret, its log ingestion) priced from the region's table, plus its share of what the
// environment's tenants share (the RDS instance, the load balancer, the file system,
// the CloudFront distribution), split by a stated rule. Pure arithmetic over figures
// the caller gathered; knows nothing of where they came from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cost/prices.h"
#include "util/result.h"

namespace wpfleet::cost {

// A calendar month (UTC): the period every cost is reported for.
struct Month {
  int year = 1970;
  int month = 1;  // 1-12

  std::string text() const;            // "2026-11"
  std::string first_day() const;       // "2026-11-01"
  std::string next_first_day() const;  // "2026-12-01", the end (exclusive)
  int days() const;
  double hours() const { return days() * 24.0; }
  std::int64_t start_unix() const;
  std::int64_t end_unix() const;  // the next month's start
};

// "2026-11" -> that month; anything else is an error that says the form to use.
Result<Month> parse_month(std::string_view text);
Month month_of(std::int64_t unix_seconds);

// Where a figure comes from: AWS's bill, wpfleet's arithmetic, or a measurement.
enum class Source { Billed, Estimated, Measured };
std::string_view source_name(Source source);

struct Figure {
  std::string name;   // "fargate", "rds share", "requests"
  double value = 0;
  std::string unit;   // "USD", "requests", "bytes", "cpu-seconds"
  Source source = Source::Estimated;
  std::string basis;  // how it was reached, e.g. "0.25 vCPU + 0.5 GB x 1 task x 720 h"
};

inline constexpr double kBytesPerGb = 1024.0 * 1024.0 * 1024.0;  // AWS bills GB of 2^30

// One tenant's own resources and the weights its shares are split by.
struct TenantResources {
  std::string tenant;
  double vcpu = 0;             // per task (Fargate CPU units / 1024)
  double memory_gb = 0;        // per task (MiB / 1024)
  int tasks = 0;               // the service's desired count
  int secrets = 1;
  double log_bytes = 0;        // ingested in the month
  double storage_bytes = 0;    // its files: the EFS split
  double database_bytes = 0;   // its database: the RDS split
  double requests = 0;         // in the month: the ALB and CloudFront split
};

// What the environment's tenants share.
struct SharedResources {
  std::string rds_class;       // empty: no RDS instance to price
  double efs_bytes = -1;       // the whole file system; < 0: the tenants' storage_bytes summed
  bool alb = true;
  bool cloudfront = false;
  double cloudfront_bytes = 0;     // sent to viewers in the month
  double cloudfront_requests = 0;  // in the month
};

struct TenantEstimate {
  std::string tenant;
  std::vector<Figure> costs;  // USD: its own resources, then its shares
  double fargate_usd = 0;     // what scaling its service to zero would save
  double total() const;
};

struct Estimate {
  std::vector<TenantEstimate> tenants;  // in the input's order
  std::vector<Figure> shared;           // each shared resource's whole cost
  std::vector<std::string> rules;       // how each shared cost was split
  std::vector<std::string> notes;       // what could not be priced, and why
};

Estimate estimate(const RegionPrices& prices, const Month& month,
                  const std::vector<TenantResources>& tenants, const SharedResources& shared);

// `amount` split in proportion to `weights`, or equally when they are all zero.
std::vector<double> split(double amount, const std::vector<double>& weights);

// ALB LCU-hours from a month's requests: each request counted as a new connection, 25 of
// them a second to an LCU, spread evenly over the month. AWS bills each hour's busiest
// dimension, so this is a floor.
double alb_lcu_hours(double requests, double hours);

}  // namespace wpfleet::cost
