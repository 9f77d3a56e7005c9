// `wpfleet cost` on a local environment: what each tenant used (requests and bytes from
// its public access log, database bytes, wp-content bytes, its workers' memory) on the
// real platform, and what it would cost on aws (here the fleet file has no aws
// environment, so on wpfleet's stated defaults); idle tenants flagged.
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cost/estimate.h"
#include "cost_report.h"
#include "harness.h"

namespace wpfleet::testing {
namespace {

using nlohmann::json;

class LocalCost : public FleetSuite {
 protected:
  static void SetUpTestSuite() {
    port_ = free_port();
    start_fleet(test_fleet(port_, {"busy", "quiet", "lapsed"}));
  }

  static json figure(const json& list, const std::string& name) {
    json found = report_figure(list, name);
    if (found.is_null()) ADD_FAILURE() << "no " << name << " in " << list.dump();
    return found.is_null() ? json::object() : found;
  }
  static json tenant(const json& env, const std::string& id) { return report_tenant(env, id); }

  // A combined-format line dated `days_ago` days back, as nginx writes it.
  static void append_old_request(const std::string& tenant, int days_ago) {
    const std::time_t when = std::time(nullptr) - days_ago * 86400;
    char stamp[64];
    std::strftime(stamp, sizeof stamp, "%d/%b/%Y:%H:%M:%S +0000", std::gmtime(&when));
    std::ofstream(state() / "log" / "nginx" / ("dev--" + tenant + ".access.log"), std::ios::app)
        << "127.0.0.1 - - [" << stamp << "] \"GET /old HTTP/1.1\" 200 1000 \"-\" \"test\"\n";
  }

  static inline std::uint16_t port_ = 0;
};

TEST_F(LocalCost, MeasuresEachTenantAndPricesItOnAwsWithTheAssumptionStated) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(http_get("busy.wpdev.localhost", port_, "/").status, 200);
  append_old_request("lapsed", 3);
  append_old_request("quiet", 20);  // before the idle window
  CliResult out;
  json env;
  // nginx flushes its access log buffer every second.
  ASSERT_TRUE(eventually(10, [&] {
    out = wpfleet({"cost", "-e", "dev", "--output", "json"});
    const json all = json::parse(out.out, nullptr, false);
    if (out.exit_code != 0 || !all.is_object()) return false;
    env = all["environments"][0];
    return figure(tenant(env, "busy")["usage"], "requests")["value"].get<double>() >= 5;
  })) << out.out << out.err;

  const json busy = tenant(env, "busy");
  EXPECT_EQ(figure(busy["usage"], "requests")["source"], "measured");
  EXPECT_GT(figure(busy["usage"], "bytes sent")["value"].get<double>(), 0);
  EXPECT_GT(figure(busy["usage"], "database")["value"].get<double>(), 100000);  // WordPress's tables
  EXPECT_EQ(figure(busy["usage"], "files")["unit"], "bytes");
  EXPECT_EQ(busy["idle"]["idle"], false);
  // Five home pages through PHP, timed by the pool.
  EXPECT_GT(figure(busy["usage"], "php time")["value"].get<double>(), 0);
  EXPECT_EQ(figure(busy["usage"], "php time")["unit"], "seconds");
  EXPECT_NE(figure(busy["usage"], "php time")["basis"].get<std::string>().find("upper bound"),
            std::string::npos);
  // No aws environment in the file: eu-west-1 defaults, one 0.25 vCPU / 0.5 GB task.
  EXPECT_EQ(env["region"], "eu-west-1");
  const double hours = cost::month_of(std::time(nullptr)).hours();
  EXPECT_NEAR(figure(busy["costs"], "fargate")["value"].get<double>(),
              hours * (0.25 * 0.04048 + 0.5 * 0.004445), 1e-9);
  EXPECT_EQ(figure(busy["costs"], "fargate")["source"], "estimated");
  bool stated = false;
  for (const auto& note : env["notes"]) {
    stated = stated || note.get<std::string>().find("wpfleet's aws defaults (eu-west-1") != std::string::npos;
  }
  EXPECT_TRUE(stated) << env["notes"].dump();
  // The RDS instance is split by database bytes, the load balancer by requests.
  double rds_shares = 0;
  for (const auto& t : env["tenants"]) rds_shares += figure(t["costs"], "rds share")["value"].get<double>();
  EXPECT_NEAR(rds_shares, figure(env["shared"], "rds")["value"].get<double>(), 1e-9);
  EXPECT_NE(figure(busy["costs"], "rds share")["basis"].get<std::string>().find("by database bytes"),
            std::string::npos);
  EXPECT_GT(figure(busy["costs"], "alb share")["value"].get<double>(),
            figure(tenant(env, "quiet")["costs"], "alb share")["value"].get<double>());

  const json lapsed = tenant(env, "lapsed");
  EXPECT_EQ(lapsed["idle"]["idle"], false) << lapsed.dump();
  EXPECT_NE(lapsed["idle"]["detail"].get<std::string>().find("3 days ago"), std::string::npos);
  const json quiet = tenant(env, "quiet");
  EXPECT_EQ(quiet["idle"]["idle"], true);
  EXPECT_NEAR(quiet["idle"]["saving"]["value"].get<double>(),
              figure(quiet["costs"], "fargate")["value"].get<double>(), 1e-9);
  // Its log's span is said.
  EXPECT_NE(figure(quiet["usage"], "requests")["basis"].get<std::string>().find("access log covers"),
            std::string::npos);

  CliResult table = wpfleet({"cost", "-e", "dev", "--idle-days", "2"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("idle: no request in the last 2 days"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("sleeping saves $"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("split: rds: split by database bytes"), std::string::npos) << table.out;

  EXPECT_EQ(wpfleet({"cost", "-e", "nowhere"}).exit_code, 3);
  EXPECT_EQ(wpfleet({"cost", "--month", "2026-13"}).exit_code, 3);
}

}  // namespace
}  // namespace wpfleet::testing
