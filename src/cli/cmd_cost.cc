// cost: what each tenant costs in a month, per environment. On aws, Cost Explorer's
// billed figures by the `wpfleet:tenant` tag where it has them, else an estimate from
// the resources themselves, plus each tenant's share of what its environment shares.
// On local, what each tenant used, and what it would cost on the fleet file's aws
// settings. Tenants without requests for --idle-days are flagged with what sleeping
// them would save.
#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <iostream>
#include <memory>

#include "backends/aws/usage.h"
#include "backends/local/usage.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cost/estimate.h"
#include "platform/platform.h"

namespace wpfleet::cli {

namespace {

using nlohmann::json;

struct CostOptions {
  std::vector<std::string> envs;
  std::string month;
  int idle_days = 7;
  bool activate_tags = false;
};

// One tenant's lines of the report.
struct TenantReport {
  std::string tenant;
  std::vector<cost::Figure> costs;
  std::vector<cost::Figure> usage;
  std::optional<SleepRecord> sleep;
  bool idle = false;
  std::string idle_detail;  // "no request for 7 days", "no request measured"
  double idle_saving = 0;   // USD a month, estimated
};

struct EnvironmentReport {
  std::string env;
  std::string backend;
  std::string region;  // whose prices the estimate uses
  std::string prices;  // "us-east-1 prices of 2026-11-30", or why there are none
  std::vector<TenantReport> tenants;
  std::vector<cost::Figure> shared;
  std::vector<std::string> rules;
  std::vector<std::string> notes;
};

// USD to a millionth of a dollar: the arithmetic's binary fractions are not figures.
double rounded(double value, const std::string& unit) {
  return unit == "USD" ? std::round(value * 1e6) / 1e6 : value;
}

json figure_json(const cost::Figure& f) {
  return {{"name", f.name}, {"value", rounded(f.value, f.unit)}, {"unit", f.unit},
          {"source", std::string(cost::source_name(f.source))}, {"basis", f.basis}};
}

// "1520 requests", "3.2 MB database": a usage figure for the table.
std::string usage_text(const cost::Figure& u) {
  if (u.unit == "seconds") return fmt::format("{:.1f} s {}", u.value, u.name);
  if (u.unit != "bytes") return fmt::format("{:.0f} {}", u.value, u.unit);
  const double mb = u.value / (1024.0 * 1024.0);
  const std::string what = u.name.starts_with("bytes ") ? u.name.substr(6) : u.name;  // "sent"
  return mb >= 1024 ? fmt::format("{:.1f} GB {}", mb / 1024, what) : fmt::format("{:.1f} MB {}", mb, what);
}

json figures_json(const std::vector<cost::Figure>& figures) {
  json list = json::array();
  for (const auto& f : figures) list.push_back(figure_json(f));
  return list;
}

// The sum of USD figures and where it comes from: billed, estimated, or both.
cost::Figure total_of(const std::vector<cost::Figure>& figures) {
  cost::Figure total{"total", 0, "USD", cost::Source::Estimated, ""};
  bool billed = false, estimated = false;
  for (const auto& f : figures) {
    total.value += f.value;
    (f.source == cost::Source::Billed ? billed : estimated) = true;
  }
  total.source = billed && !estimated ? cost::Source::Billed : cost::Source::Estimated;
  total.basis = billed && estimated ? "billed and estimated figures added"
                : billed            ? "billed by AWS"
                                    : "estimated";
  return total;
}

std::string source_of_total(const cost::Figure& total) {
  return total.basis == "billed and estimated figures added" ? "billed+estimated"
                                                             : std::string(cost::source_name(total.source));
}

// Each tenant's estimate replaced, where Cost Explorer billed its tagged resources, by
// that bill; its shares of the environment's shared resources stay estimated.
void merge(EnvironmentReport& report, const cost::Estimate& estimate,
           const std::optional<aws_backend::BilledMonth>& billed) {
  for (std::size_t i = 0; i < estimate.tenants.size(); ++i) {
    const auto& e = estimate.tenants[i];
    TenantReport& t = report.tenants[i];
    const auto bill = billed ? billed->by_tenant.find(e.tenant) : std::map<std::string, double>::const_iterator{};
    const bool has_bill = billed && bill != billed->by_tenant.end();
    if (has_bill) {
      t.costs.push_back({"tagged resources", bill->second, "USD", cost::Source::Billed,
                         std::string("Cost Explorer UnblendedCost of resources tagged wpfleet:tenant=") +
                             e.tenant + (billed->estimated ? " (the month is not closed yet)" : "")});
    }
    for (const auto& f : e.costs) {
      if (has_bill && !f.name.ends_with(" share")) continue;  // the bill holds its own resources
      t.costs.push_back(f);
    }
    t.idle_saving = e.fargate_usd;
  }
  report.shared = estimate.shared;
  report.rules = estimate.rules;
  report.notes.insert(report.notes.end(), estimate.notes.begin(), estimate.notes.end());
}

void flag_idle(TenantReport& t, const std::optional<int>& days_since_request, int idle_days) {
  if (days_since_request) {
    t.idle_detail = "last request " + counted(*days_since_request, "day") + " ago";
    return;
  }
  t.idle = true;
  t.idle_detail = "no request in the last " + counted(idle_days, "day");
}

Result<EnvironmentReport> aws_report(const Environment& env, const std::vector<std::string>& tenants,
                                     const cost::Month& month, std::int64_t now,
                                     const CostOptions& o, aws_backend::AwsPlatforms& platforms) {
  EnvironmentReport report{env.name, env.backend, env.aws->region, "", {}, {}, {}, {}};
  TRY_ASSIGN(auto usage, aws_backend::read_usage(platforms, env, tenants, month, now, o.idle_days,
                                                 &Context::progress));
  report.notes = usage.notes;
  for (const auto& r : usage.tenants) {
    TenantReport t{r.tenant, {}, {}, {}, false, "", 0};
    t.usage.push_back({"requests", r.requests, "requests", cost::Source::Measured,
                       "AWS/ApplicationELB RequestCount of its target group in " + month.text()});
    t.usage.push_back({"tasks", static_cast<double>(r.tasks), "tasks", cost::Source::Measured,
                       "its ECS service's desired count"});
    flag_idle(t, usage.days_since_request[r.tenant], o.idle_days);
    report.tenants.push_back(std::move(t));
  }
  auto prices = cost::prices_for(env.aws->region);
  if (!prices) {
    report.prices = prices.error().message;
    report.notes.push_back(prices.error().message);
    for (auto& t : report.tenants) {
      if (!usage.billed) continue;
      const auto bill = usage.billed->by_tenant.find(t.tenant);
      if (bill == usage.billed->by_tenant.end()) continue;
      t.costs.push_back({"tagged resources", bill->second, "USD", cost::Source::Billed,
                         "Cost Explorer UnblendedCost of resources tagged wpfleet:tenant=" + t.tenant});
    }
    return report;
  }
  report.prices = env.aws->region + " on-demand prices as of " +
                  std::string(cost::price_table_source().as_of);
  merge(report, cost::estimate(**prices, month, usage.tenants, usage.shared), usage.billed);
  return report;
}

// The aws settings a local tenant is priced on: the first aws environment of the fleet
// file's, else the aws defaults in the user's region, with what is assumed.
struct PricedAs {
  AwsSettings settings;
  std::string assumption;
};

PricedAs priced_as(const Fleet& fleet) {
  for (const auto& [name, env] : fleet.environments) {
    if (!env.aws) continue;
    return {*env.aws, "priced as on aws environment '" + name + "' (" + env.aws->region + ", " +
                          std::to_string(env.aws->cpu) + " CPU units, " +
                          std::to_string(env.aws->memory) + " MiB a task, one task)"};
  }
  PricedAs defaults{AwsSettings{}, ""};
  defaults.settings.region = "eu-west-1";
  defaults.assumption =
      "the fleet file has no aws environment: priced on wpfleet's aws defaults (eu-west-1, "
      "the user's dev and sit region; 256 CPU units, 512 MiB a task, one task)";
  return defaults;
}

constexpr const char* kAssumedRdsClass = "db.t3.micro";  // the user's SIT instance

Result<EnvironmentReport> local_report(const Fleet& fleet, const Environment& env,
                                       const std::vector<std::string>& tenants,
                                       const cost::Month& month, std::int64_t now,
                                       const CostOptions& o, Session& session,
                                       const std::map<std::string, SleepRecord>& sleeping) {
  TRY(require_platform_up(session.layout));
  BackendContext backend{session.layout, *session.store, *session.secrets};
  Context::progress("cost: measuring " + env.name + "'s tenants (logs, database, files)");
  TRY_ASSIGN(auto measured, local::read_usage(backend, env, tenants, month, now, o.idle_days));
  const PricedAs as = priced_as(fleet);
  EnvironmentReport report{env.name, env.backend, as.settings.region, "", {}, {}, {}, {}};
  report.notes.push_back("what these tenants would cost on aws: " + as.assumption +
                         ", the RDS instance assumed " + kAssumedRdsClass);
  report.notes.push_back(
      "CPU: the pool's access log records each PHP request's duration, not its CPU, so "
      "\"php time\" is wall-clock time, an upper bound of the CPU seconds; memory is what "
      "the tenant's PHP workers hold now, not a peak");
  std::int64_t first = 0, last = 0;
  for (const auto& u : measured) {
    if (u.log_first != 0 && (first == 0 || u.log_first < first)) first = u.log_first;
    last = std::max(last, u.log_last);
  }
  report.notes.push_back(first == 0 ? "requests: no tenant's access log has a line yet"
                                    : "requests are counted in each tenant's public nginx access log; "
                                      "the logs cover " + utc_time(first) + " to " + utc_time(last));
  std::vector<cost::TenantResources> resources;
  cost::SharedResources shared{.rds_class = kAssumedRdsClass, .cloudfront = true};
  for (const auto& u : measured) {
    const bool asleep = sleeping.count(u.tenant) > 0;
    TenantReport t{u.tenant, {}, {}, {}, false, "", 0};
    const std::string span =
        u.log_first == 0 ? "its access log is empty"
                         : "its access log covers " + utc_time(u.log_first) + " to " + utc_time(u.log_last);
    t.usage = {
        {"requests", u.requests, "requests", cost::Source::Measured,
         "lines of its public nginx access log in " + month.text() + " (" + span + ")"},
        {"bytes sent", u.bytes_sent, "bytes", cost::Source::Measured,
         "response bodies in its access log in " + month.text()},
        {"database", u.database_bytes, "bytes", cost::Source::Measured,
         "data and index length of its tables (information_schema), now"},
        {"files", u.file_bytes, "bytes", cost::Source::Measured, "regular files of its wp-content, now"},
        {"memory", u.memory_bytes, "bytes", cost::Source::Measured,
         "resident memory of its PHP workers, now"},
        {"php time", u.php_seconds, "seconds", cost::Source::Measured,
         fmt::format("{:.0f} PHP requests' durations added up, from its pool's access log in {} "
                     "(wall clock: an upper bound of their CPU time)",
                     u.php_requests, month.text())}};
    flag_idle(t, u.days_since_request, o.idle_days);
    report.tenants.push_back(std::move(t));
    resources.push_back({.tenant = u.tenant,
                         .vcpu = as.settings.cpu / 1024.0,
                         .memory_gb = as.settings.memory / 1024.0,
                         .tasks = asleep ? 0 : 1,
                         .secrets = 1,
                         .storage_bytes = u.file_bytes,
                         .database_bytes = u.database_bytes,
                         .requests = u.requests});
    shared.cloudfront_bytes += u.bytes_sent;
    shared.cloudfront_requests += u.requests;
  }
  auto prices = cost::prices_for(as.settings.region);
  if (!prices) {
    report.prices = prices.error().message;
    report.notes.push_back(prices.error().message);
    return report;
  }
  report.prices = as.settings.region + " on-demand prices as of " +
                  std::string(cost::price_table_source().as_of);
  merge(report, cost::estimate(**prices, month, resources, shared), std::nullopt);
  return report;
}

json environment_json(const EnvironmentReport& r) {
  json tenants = json::array();
  std::vector<cost::Figure> all;
  for (const auto& t : r.tenants) {
    const cost::Figure total = total_of(t.costs);
    all.insert(all.end(), t.costs.begin(), t.costs.end());
    json sleep = nullptr;
    if (t.sleep) {
      sleep = {{"state", std::string(sleep_state_name(t.sleep->state))}, {"since", utc_time(t.sleep->since)}};
    }
    json idle = {{"idle", t.idle}, {"detail", t.idle_detail}};
    if (t.idle) {
      idle["saving"] = figure_json({"scale to zero", t.idle_saving, "USD", cost::Source::Estimated,
                                    "its Fargate tasks for the month: `wpfleet tenant sleep " +
                                        t.tenant + " -e " + r.env + "`"});
    }
    tenants.push_back({{"tenant", t.tenant},
                       {"costs", figures_json(t.costs)},
                       {"usage", figures_json(t.usage)},
                       {"total", {{"value", rounded(total.value, "USD")}, {"unit", "USD"}, {"source", source_of_total(total)}}},
                       {"sleep", sleep},
                       {"idle", idle}});
  }
  const cost::Figure total = total_of(all);
  return {{"env", r.env},
          {"backend", r.backend},
          {"region", r.region},
          {"prices", r.prices},
          {"tenants", tenants},
          {"shared", figures_json(r.shared)},
          {"split_rules", r.rules},
          {"notes", r.notes},
          {"total", {{"value", rounded(total.value, "USD")}, {"unit", "USD"}, {"source", source_of_total(total)}}}};
}

std::string usd(double value) { return fmt::format("${:.2f}", value); }

void print_environment(const EnvironmentReport& r) {
  std::cout << r.env << " (" << r.backend << (r.region.empty() ? "" : ", " + r.region) << ")\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<cost::Figure> all;
  for (const auto& t : r.tenants) {
    const cost::Figure total = total_of(t.costs);
    all.insert(all.end(), t.costs.begin(), t.costs.end());
    std::string usage;
    for (const auto& u : t.usage) {
      usage += (usage.empty() ? "" : ", ") + usage_text(u);
    }
    std::string state = t.sleep ? std::string(sleep_state_name(t.sleep->state)) : "";
    if (t.idle) {
      state += (state.empty() ? "" : "; ") +
               ("idle: " + t.idle_detail + (t.sleep ? "" : ", sleeping saves " + usd(t.idle_saving)));
    }
    rows.push_back({t.tenant, usd(total.value), source_of_total(total), usage, state});
  }
  print_table({"TENANT", "COST", "SOURCE", "USAGE", "IDLE"}, rows);
  for (const auto& s : r.shared) std::cout << "shared " << s.name << ": " << usd(s.value) << " (" << s.basis << ")\n";
  for (const auto& rule : r.rules) std::cout << "split: " << rule << "\n";
  for (const auto& note : r.notes) std::cout << "note: " << ready_to_paste(note) << "\n";
  std::cout << "total: " << usd(total_of(all).value) << " (" << source_of_total(total_of(all)) << ")\n\n";
}

int cost_command(Context& ctx, const CostOptions& o) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  const std::int64_t now = std::time(nullptr);
  cost::Month month = cost::month_of(now);
  if (!o.month.empty()) {
    auto parsed = cost::parse_month(o.month);
    if (!parsed) return fail(parsed.error(), kExitInvalidInput);
    if (parsed->start_unix() > now) {
      return fail("month " + o.month + " has not begun: give this month (" + month.text() +
                      ") or an earlier one",
                  kExitInvalidInput);
    }
    month = *parsed;
  }
  if (o.idle_days < 1) return fail("--idle-days must be 1 or more", kExitInvalidInput);
  for (const auto& name : o.envs) {
    if (!fleet->find_environment(name)) {
      return fail("unknown environment '" + name + "': the fleet file " + fleet->source_path +
                      " has no [environments." + name + "]",
                  kExitInvalidInput);
    }
  }
  auto session = ctx.open(LockMode::None, "cost");
  if (!session) return fail(session.error(), kExitFailure);
  aws_backend::AwsPlatforms platforms(aws::Environment::current());

  std::vector<EnvironmentReport> reports;
  for (const auto& [name, env] : fleet->environments) {
    if (!o.envs.empty() && std::find(o.envs.begin(), o.envs.end(), name) == o.envs.end()) continue;
    std::vector<std::string> tenants;
    for (const auto& p : placements(*fleet, {name})) tenants.push_back(p.tenant->id);
    if (env.aws && o.activate_tags) {
      Context::progress("cost: activating the cost-allocation tags in " + aws_backend::where(env));
      auto client = platforms.client(env);
      if (!client) return fail(client.error(), kExitFailure);
      if (Status done = aws_backend::activate_cost_allocation_tags(**client); !done) {
        return fail(done.error(), kExitFailure);
      }
    }
    auto sleeping = session->store->sleeping(name);
    if (!sleeping) return fail(sleeping.error(), kExitFailure);
    Result<EnvironmentReport> report =
        env.aws ? aws_report(env, tenants, month, now, o, platforms)
                : local_report(*fleet, env, tenants, month, now, o, *session, *sleeping);
    if (!report) return fail(name + ": " + report.error().message, kExitFailure);
    for (auto& t : report->tenants) {
      const auto found = sleeping->find(t.tenant);
      if (found != sleeping->end()) t.sleep = found->second;
    }
    reports.push_back(std::move(*report));
  }

  if (ctx.options().json()) {
    json envs = json::array();
    for (const auto& r : reports) envs.push_back(environment_json(r));
    const auto source = cost::price_table_source();
    ctx.print_json({{"month", month.text()},
                    {"period", {{"start", month.first_day()}, {"end", month.next_first_day()},
                                {"hours", month.hours()}}},
                    {"idle_days", o.idle_days},
                    {"price_table", {{"as_of", source.as_of}, {"source", source.source}}},
                    {"environments", envs}});
    return kExitOk;
  }
  std::cout << "cost of " << month.text() << " (" << month.first_day() << " to "
            << month.next_first_day() << ", UTC)\n\n";
  for (const auto& r : reports) print_environment(r);
  const auto source = cost::price_table_source();
  std::cout << "prices: " << source.source << "; as of " << source.as_of << "\n";
  return kExitOk;
}

}  // namespace

void register_cost(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto o = std::make_shared<CostOptions>();
  auto* cost = app.add_subcommand(
      "cost",
      "What each tenant costs in a month: billed by AWS (Cost Explorer, by the "
      "wpfleet:tenant tag) or estimated from its resources, with its share of shared ones; "
      "idle tenants and what sleeping them saves");
  cost->add_option("-e,--env", o->envs, "Only this environment (repeatable)");
  cost->add_option("--month", o->month, "The month, YYYY-MM (default: this month, so far)");
  cost->add_option("--idle-days", o->idle_days,
                   "Flag tenants without a request for this many days (default 7)");
  cost->add_flag("--activate-tags", o->activate_tags,
                 "aws: activate the wpfleet:tenant and wpfleet:env cost-allocation tags in Cost "
                 "Explorer first (UpdateCostAllocationTagsStatus)");
  cost->footer(
      "Figures are USD, each marked billed (Cost Explorer), estimated (wpfleet's dated price "
      "table) or measured. Shared resources are split by a stated rule: RDS and EFS by "
      "database and file bytes, the load balancer and CloudFront by requests, equally when "
      "nothing is measured.\n\nExamples:\n  wpfleet cost -e sit --month 2026-10\n  wpfleet "
      "cost --output json");
  cost->callback([&ctx, &selected, o] { selected = [&ctx, o] { return cost_command(ctx, *o); }; });
}

}  // namespace wpfleet::cli
