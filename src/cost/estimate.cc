#include "cost/estimate.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <numeric>

namespace wpfleet::cost {

namespace {

using std::chrono::sys_days;
using std::chrono::year_month;

year_month as_year_month(const Month& m) {
  return std::chrono::year{m.year} / std::chrono::month{static_cast<unsigned>(m.month)};
}

std::string day_text(year_month ym) {
  return fmt::format("{:04}-{:02}-01", static_cast<int>(ym.year()),
                     static_cast<unsigned>(ym.month()));
}

std::int64_t unix_of(year_month ym) {
  return sys_days{ym / 1}.time_since_epoch().count() * 86400LL;
}

// "0.25", "1", "0.5": a quantity without trailing zeros.
std::string quantity(double value) { return fmt::format("{:g}", value); }

std::string gb(double bytes) { return fmt::format("{:.3f} GB", bytes / kBytesPerGb); }

Figure usd(std::string name, double value, std::string basis) {
  return Figure{std::move(name), value, "USD", Source::Estimated, std::move(basis)};
}

// One shared cost split among the tenants by `weight`, each share added to its tenant.
void share(Estimate& out, const Figure& whole, const std::vector<double>& weights,
           const std::string& rule) {
  const double total_weight = std::accumulate(weights.begin(), weights.end(), 0.0);
  const std::vector<double> parts = split(whole.value, weights);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string basis =
        total_weight > 0 ? fmt::format("{:.1f}% of {} ${:.4f}, by {}", 100 * weights[i] / total_weight,
                                       whole.name, whole.value, rule)
                         : fmt::format("1/{} of {} ${:.4f}, split equally (no {} measured)",
                                       parts.size(), whole.name, whole.value, rule);
    out.tenants[i].costs.push_back(usd(whole.name + " share", parts[i], basis));
  }
  out.shared.push_back(whole);
  out.rules.push_back(whole.name + ": split by " + rule + " (equally when none is measured)");
}

// Whether the table has every price in `needed` for the region; when not, a note names the
// prices it lacks and says `figure` is left out of the estimate.
bool priced(Estimate& out, const RegionPrices& prices, const std::string& figure,
            std::initializer_list<Price RegionPrices::*> needed) {
  std::string missing;
  for (const auto& [price, name] : kPriceNames) {
    if (std::find(needed.begin(), needed.end(), price) == needed.end() || prices.*price) continue;
    missing += (missing.empty() ? "" : " and ") + std::string(name);
  }
  if (missing.empty()) return true;
  out.notes.push_back("wpfleet's price table has no " + std::string(prices.region) + " price for " +
                      missing + " (none could be cited from a source): this estimate leaves out " +
                      figure + "; add it to src/cost/prices.cc with its source");
  return false;
}

std::vector<double> weights_of(const std::vector<TenantResources>& tenants,
                               double TenantResources::*field) {
  std::vector<double> weights;
  for (const auto& t : tenants) weights.push_back(t.*field);
  return weights;
}

}  // namespace

std::string Month::text() const { return fmt::format("{:04}-{:02}", year, month); }
std::string Month::first_day() const { return day_text(as_year_month(*this)); }
std::string Month::next_first_day() const {
  return day_text(as_year_month(*this) + std::chrono::months{1});
}
int Month::days() const {
  const year_month ym = as_year_month(*this);
  return static_cast<int>(
      (sys_days{(ym + std::chrono::months{1}) / 1} - sys_days{ym / 1}).count());
}
std::int64_t Month::start_unix() const { return unix_of(as_year_month(*this)); }
std::int64_t Month::end_unix() const {
  return unix_of(as_year_month(*this) + std::chrono::months{1});
}

Result<Month> parse_month(std::string_view text) {
  const auto invalid = [&] {
    return make_error("'" + std::string(text) +
                      "' is not a month: give it as YYYY-MM, e.g. --month 2026-11");
  };
  if (text.size() != 7 || text[4] != '-') return invalid();
  Month m;
  const char* begin = text.data();
  auto [end_year, year_error] = std::from_chars(begin, begin + 4, m.year);
  auto [end_month, month_error] = std::from_chars(begin + 5, begin + 7, m.month);
  if (year_error != std::errc() || end_year != begin + 4 || month_error != std::errc() ||
      end_month != begin + 7 || m.year < 2000 || m.month < 1 || m.month > 12) {
    return invalid();
  }
  return m;
}

Month month_of(std::int64_t unix_seconds) {
  const sys_days day{std::chrono::days{unix_seconds / 86400}};
  const std::chrono::year_month_day ymd{day};
  return Month{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month()))};
}

std::string_view source_name(Source source) {
  switch (source) {
    case Source::Billed: return "billed";
    case Source::Estimated: return "estimated";
    case Source::Measured: return "measured";
  }
  return "estimated";
}

double TenantEstimate::total() const {
  double sum = 0;
  for (const auto& figure : costs) sum += figure.value;
  return sum;
}

std::vector<double> split(double amount, const std::vector<double>& weights) {
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<double> parts;
  for (double weight : weights) {
    parts.push_back(total > 0 ? amount * weight / total
                              : amount / static_cast<double>(weights.size()));
  }
  return parts;
}

double alb_lcu_hours(double requests, double hours) {
  constexpr double kNewConnectionsPerLcuSecond = 25;
  return hours > 0 ? requests / (kNewConnectionsPerLcuSecond * 3600) : 0;
}

Estimate estimate(const RegionPrices& prices, const Month& month,
                  const std::vector<TenantResources>& tenants, const SharedResources& shared) {
  const double hours = month.hours();
  Estimate out;
  const bool fargate = priced(out, prices, "fargate",
                              {&RegionPrices::fargate_vcpu_hour, &RegionPrices::fargate_gb_hour});
  const bool secrets = priced(out, prices, "secrets", {&RegionPrices::secret_month});
  const bool logs = priced(out, prices, "logs", {&RegionPrices::logs_ingested_gb});
  for (const auto& t : tenants) {
    TenantEstimate e{t.tenant, {}, 0};
    const double task_hours = t.tasks * hours;
    if (fargate) {
      e.fargate_usd = task_hours * (t.vcpu * *prices.fargate_vcpu_hour +
                                    t.memory_gb * *prices.fargate_gb_hour);
      e.costs.push_back(usd(
          "fargate", e.fargate_usd,
          fmt::format("({} vCPU x ${}/vCPU-h + {} GB x ${}/GB-h) x {} task{} x {} h",
                      quantity(t.vcpu), *prices.fargate_vcpu_hour, quantity(t.memory_gb),
                      *prices.fargate_gb_hour, t.tasks, t.tasks == 1 ? "" : "s", quantity(hours))));
    }
    if (secrets) {
      e.costs.push_back(usd("secrets", t.secrets * *prices.secret_month,
                            fmt::format("{} secret{} x ${}/month", t.secrets,
                                        t.secrets == 1 ? "" : "s", *prices.secret_month)));
    }
    if (logs) {
      e.costs.push_back(usd("logs", t.log_bytes / kBytesPerGb * *prices.logs_ingested_gb,
                            fmt::format("{} ingested x ${}/GB", gb(t.log_bytes),
                                        *prices.logs_ingested_gb)));
    }
    out.tenants.push_back(std::move(e));
  }
  if (tenants.empty()) return out;

  if (!shared.rds_class.empty()) {
    auto hourly = rds_hourly(prices, shared.rds_class);
    if (hourly) {
      share(out,
            usd("rds", *hourly * hours,
                fmt::format("{} x ${}/h x {} h", shared.rds_class, *hourly, quantity(hours))),
            weights_of(tenants, &TenantResources::database_bytes), "database bytes");
    } else {
      out.notes.push_back(hourly.error().message);
    }
  }
  const std::vector<double> requests = weights_of(tenants, &TenantResources::requests);
  const double total_requests = std::accumulate(requests.begin(), requests.end(), 0.0);
  if (shared.alb && priced(out, prices, "alb", {&RegionPrices::alb_hour, &RegionPrices::alb_lcu_hour})) {
    const double lcu_hours = alb_lcu_hours(total_requests, hours);
    share(out,
          usd("alb", hours * *prices.alb_hour + lcu_hours * *prices.alb_lcu_hour,
              fmt::format("{} h x ${}/h + {:.3f} LCU-h x ${}/LCU-h (LCU-hours from {} requests, "
                          "25 new connections a second to an LCU: a floor)",
                          quantity(hours), *prices.alb_hour, lcu_hours, *prices.alb_lcu_hour,
                          quantity(total_requests))),
          requests, "requests");
  }
  const std::vector<double> storage = weights_of(tenants, &TenantResources::storage_bytes);
  const double efs_bytes =
      shared.efs_bytes >= 0 ? shared.efs_bytes : std::accumulate(storage.begin(), storage.end(), 0.0);
  if (priced(out, prices, "efs", {&RegionPrices::efs_standard_gb_month})) {
    share(out,
          usd("efs", efs_bytes / kBytesPerGb * *prices.efs_standard_gb_month,
              fmt::format("{} x ${}/GB-month (Standard)", gb(efs_bytes), *prices.efs_standard_gb_month)),
          storage, "file bytes");
  }
  if (shared.cloudfront &&
      priced(out, prices, "cloudfront", {&RegionPrices::cloudfront_gb, &RegionPrices::cloudfront_10k_https})) {
    share(out,
          usd("cloudfront",
              shared.cloudfront_bytes / kBytesPerGb * *prices.cloudfront_gb +
                  shared.cloudfront_requests / 10000 * *prices.cloudfront_10k_https,
              fmt::format("{} x ${}/GB + {} HTTPS requests x ${}/10k", gb(shared.cloudfront_bytes),
                          *prices.cloudfront_gb, quantity(shared.cloudfront_requests),
                          *prices.cloudfront_10k_https)),
          requests, "requests");
  }
  return out;
}

}  // namespace wpfleet::cost
