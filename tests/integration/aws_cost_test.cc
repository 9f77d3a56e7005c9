// `wpfleet cost` and `wpfleet tenant sleep|wake` on an aws environment: the real binary
// against moto's server (signature
// checking on) behind the AwsProxy, on the user's SIT as their Terraform left it (five
// tenants, one db.t3.micro). Cost Explorer's GetCostAndUsage answers are preset in moto;
// CloudWatch's request counts are put with PutMetricData. moto has no
// ListCostAllocationTags or UpdateCostAllocationTagsStatus at all: those two are faked at
// the HTTP level here (the fake answers only validly signed requests, and checks the
// JSON shape AWS checks), which the tests' names say.
#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <fstream>

#include "aws_test_env.h"
#include "cost_report.h"
#include "cost/estimate.h"
#include "harness.h"
#include "util/http_client.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

using nlohmann::json;

constexpr const char* kCeTarget = "AWSInsightsIndexService.";

AwsProxy::Answer ce_answer(long status, const json& body) {
  return {status, {{"content-type", "application/x-amz-json-1.1"}}, body.dump()};
}

AwsProxy::Answer validation_error(const std::string& message) {
  return ce_answer(400, {{"__type", "ValidationException"}, {"message", message}});
}

bool is_tag_key(const json& key) {
  return key.is_string() && !key.get<std::string>().empty() && key.get<std::string>().size() <= 1024;
}

// Cost Explorer's cost-allocation tags, as the fake keeps them: wpfleet's two keys, seen
// (resources carry them) and inactive until activated.
struct FakeCostAllocationTags {
  std::atomic<bool> active{false};
  std::atomic<int> activations{0};

  void install(AwsProxy& proxy) {
    proxy.add_fake({[](const AwsProxy::Request& r) {
                      return r.amz_target == std::string(kCeTarget) + "ListCostAllocationTags";
                    },
                    [this](const AwsProxy::Request& r) { return list(r); }});
    proxy.add_fake({[](const AwsProxy::Request& r) {
                      return r.amz_target ==
                             std::string(kCeTarget) + "UpdateCostAllocationTagsStatus";
                    },
                    [this](const AwsProxy::Request& r) { return update(r); }});
  }

  AwsProxy::Answer list(const AwsProxy::Request& r) {
    const json in = json::parse(r.body, nullptr, false);
    if (!in.is_object()) return validation_error("the body is not a JSON object");
    if (in.contains("MaxResults") &&
        (!in["MaxResults"].is_number_integer() || in["MaxResults"] < 1 || in["MaxResults"] > 1000)) {
      return validation_error("MaxResults must be an integer from 1 to 1000");
    }
    json tags = json::array();
    const json keys = in.value("TagKeys", json::array({"wpfleet:tenant", "wpfleet:env"}));
    if (!keys.is_array() || keys.empty() || keys.size() > 100) {
      return validation_error("TagKeys must be a list of 1 to 100 keys");
    }
    for (const auto& key : keys) {
      if (!is_tag_key(key)) return validation_error("a TagKey must be a string of 1 to 1024 characters");
      if (key == "wpfleet:tenant" || key == "wpfleet:env") {
        tags.push_back({{"TagKey", key}, {"Type", "UserDefined"},
                        {"Status", active ? "Active" : "Inactive"}});
      }
    }
    return ce_answer(200, {{"CostAllocationTags", tags}});
  }

  AwsProxy::Answer update(const AwsProxy::Request& r) {
    const json in = json::parse(r.body, nullptr, false);
    const json statuses = in.is_object() ? in.value("CostAllocationTagsStatus", json()) : json();
    if (!statuses.is_array() || statuses.empty() || statuses.size() > 20) {
      return validation_error("CostAllocationTagsStatus must be a list of 1 to 20 entries");
    }
    for (const auto& entry : statuses) {
      if (!entry.is_object() || !is_tag_key(entry.value("TagKey", json())) ||
          (entry.value("Status", "") != "Active" && entry.value("Status", "") != "Inactive")) {
        return validation_error("each entry needs a TagKey and a Status of Active or Inactive");
      }
    }
    ++activations;
    active = true;
    return ce_answer(200, {{"Errors", json::array()}});
  }
};

class AwsCost : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      aws_ = new AwsTestEnv();
      tags_ = new FakeCostAllocationTags();
      tags_->install(aws_->proxy());  // before any request
      aws::Client client = aws_->client();
      sit_ = new SitFixture(make_user_sit(client));
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete sit_;
    delete tags_;
    delete aws_;
    sit_ = nullptr;
    tags_ = nullptr;
    aws_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(aws_, nullptr) << setup_error_;
    complaints_.emplace(aws_->proxy());
    std::string subnets, groups;
    for (const auto& s : sit_->subnets) subnets += (subnets.empty() ? "\"" : ", \"") + s + "\"";
    for (const auto& g : sit_->security_groups) groups += (groups.empty() ? "\"" : ", \"") + g + "\"";
    std::string text = "[environments.sit]\nbackend = \"aws\"\ndomain = \"{tenant}.wpsit.kimmyai.io\"\n"
                       "[environments.sit.aws]\nregion = \"us-east-1\"\naccount_id = \"" +
                       std::string(kMotoAccount) + "\"\nsubnets = [" + subnets +
                       "]\nsecurity_groups = [" + groups + "]\n";
    for (const auto& [tenant, priority] : sit_tenants()) {
      text += "[[tenants]]\nid = \"" + tenant + "\"\ntitle = \"" + tenant +
              "\"\nadmin_email = \"a@" + tenant + ".example\"\nenvironments = [\"sit\"]\n";
    }
    std::ofstream(dir_.path() / "fleet.toml") << text;
  }
  void TearDown() override {
    if (complaints_) complaints_->fail_on_new();
  }

  CliResult wpfleet(std::vector<std::string> args) const {
    CommandSpec spec;
    spec.argv = {WPFLEET_BINARY, "-f", (dir_.path() / "fleet.toml").string(), "--state-dir",
                 (dir_.path() / "state").string()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = aws_->process_env().vars;
    spec.timeout = std::chrono::minutes(5);
    auto out = run_command(spec);
    if (!out) throw std::runtime_error(out.error().message);
    return CliResult{out->exit_code, out->out, out->err};
  }

  json cost_json(std::vector<std::string> args) const {
    args.insert(args.begin(), {"cost", "-e", "sit", "--output", "json"});
    CliResult r = wpfleet(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    json out = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(out.is_object()) << r.out << r.err;
    return out.is_object() ? out["environments"][0] : json::object();
  }

  // Presets moto's next GetCostAndUsage answer: one month of tenants' costs.
  static void preset_cost_explorer(const std::string& start, const std::string& end,
                                   const std::map<std::string, std::string>& amounts) {
    json groups = json::array();
    for (const auto& [tenant, amount] : amounts) {
      groups.push_back({{"Keys", {"wpfleet:tenant$" + tenant}},
                        {"Metrics", {{"UnblendedCost", {{"Amount", amount}, {"Unit", "USD"}}}}}});
    }
    HttpRequest preset;
    preset.method = "POST";
    preset.url = aws_->moto().endpoint() + "/moto-api/static/ce/cost-and-usage-results";
    preset.headers = {"Content-Type: application/json"};
    preset.body = json({{"results",
                         {{{"ResultsByTime",
                            {{{"TimePeriod", {{"Start", start}, {"End", end}}},
                              {"Total", json::object()},
                              {"Groups", groups},
                              {"Estimated", true}}}}}}}})
                      .dump();
    auto reply = http_request(preset);
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    ASSERT_EQ(reply->status, 201) << reply->body;
  }

  // A data point of `metric` with `dimensions` (name, value), `days_ago` days before now.
  static void put_metric(const std::string& space, const std::string& metric,
                         const std::vector<std::pair<std::string, std::string>>& dimensions,
                         double value, int days_ago) {
    const std::time_t when = std::time(nullptr) - days_ago * 86400;
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&when));
    aws::QueryParams params = {{"Namespace", space},
                               {"MetricData.member.1.MetricName", metric},
                               {"MetricData.member.1.Timestamp", stamp},
                               {"MetricData.member.1.Value", std::to_string(value)}};
    for (std::size_t i = 0; i < dimensions.size(); ++i) {
      const std::string at = "MetricData.member.1.Dimensions.member." + std::to_string(i + 1);
      params.emplace_back(at + ".Name", dimensions[i].first);
      params.emplace_back(at + ".Value", dimensions[i].second);
    }
    aws::Client client = aws_->client();  // us-east-1, where CloudFront's metrics are too
    auto put = client.query(aws::kCloudWatch, "PutMetricData", params);
    ASSERT_TRUE(put.ok()) << put.error().message;
  }

  // `count` requests to the tenant's target group on the day `days_ago` days before now.
  static void put_requests(const std::string& tenant, int days_ago, double count) {
    aws::Client client = aws_->client();
    auto groups = client.query(aws::kElbV2, "DescribeTargetGroups",
                               {{"Names.member.1", "sit-" + tenant + "-tg"}});
    ASSERT_TRUE(groups.ok()) << groups.error().message;
    const std::string tg = groups->select_node("//TargetGroupArn").node().child_value();
    auto balancers = client.query(aws::kElbV2, "DescribeLoadBalancers", {{"Names.member.1", "sit-alb"}});
    ASSERT_TRUE(balancers.ok()) << balancers.error().message;
    const std::string lb = balancers->select_node("//LoadBalancerArn").node().child_value();
    put_metric("AWS/ApplicationELB", "RequestCount",
               {{"TargetGroup", tg.substr(tg.find("targetgroup/"))},
                {"LoadBalancer", lb.substr(lb.find("loadbalancer/") + 13)}},
               count, days_ago);
  }

  static json tenant(const json& env, const std::string& id) { return report_tenant(env, id); }
  static json cost(const json& tenant, const std::string& name) {
    return report_figure(tenant["costs"], name);
  }

  static inline AwsTestEnv* aws_ = nullptr;
  static inline FakeCostAllocationTags* tags_ = nullptr;
  static inline SitFixture* sit_ = nullptr;
  static inline std::string setup_error_;
  TempDir dir_;
  std::optional<ProxyComplaints> complaints_;
};

// In order: tags inactive (estimates, and the call that activates them), then activated
// by wpfleet, then Cost Explorer's bill for this month by tenant.
TEST_F(AwsCost, InactiveTagsThenActivatedThenBilledByTenant_CostAllocationTagCallsFaked) {
  ASSERT_FALSE(tags_->active);
  put_requests("goldencrust", 0, 900);
  put_requests("goldencrust", 1, 100);
  put_requests("tenant1", 10, 50);  // before the idle window

  // The distribution's month: 20,000 requests and 2 GB sent.
  put_metric("AWS/CloudFront", "Requests", {{"DistributionId", sit_->distribution_id}, {"Region", "Global"}},
             20000, 0);
  put_metric("AWS/CloudFront", "BytesDownloaded",
             {{"DistributionId", sit_->distribution_id}, {"Region", "Global"}}, 2.0 * (1 << 30), 0);

  json env = cost_json({"--idle-days", "7"});
  // CloudFront: 2 GB x $0.085 + 2 x 10k HTTPS requests x $0.01, split by requests.
  const json cloudfront = report_figure(env["shared"], "cloudfront");
  ASSERT_TRUE(cloudfront.is_object()) << env.dump();
  EXPECT_NEAR(cloudfront["value"].get<double>(), 2 * 0.085 + 2 * 0.01, 1e-9);
  double cloudfront_shares = 0;
  for (const auto& t : env["tenants"]) cloudfront_shares += cost(t, "cloudfront share")["value"].get<double>();
  EXPECT_NEAR(cloudfront_shares, cloudfront["value"].get<double>(), 1e-5);
  bool told = false;
  for (const auto& note : env["notes"]) {
    told = told || note.get<std::string>().find(
                       "aws ce update-cost-allocation-tags-status --cost-allocation-tags-status "
                       "TagKey=wpfleet:tenant,Status=Active") != std::string::npos;
  }
  EXPECT_TRUE(told) << env["notes"].dump();
  const json golden = tenant(env, "goldencrust");
  EXPECT_EQ(golden["total"]["source"], "estimated");
  EXPECT_EQ(golden["total"]["unit"], "USD");
  // 0.25 vCPU and 0.5 GB of the fixture's task definition, one task, the month's hours.
  const json fargate = cost(golden, "fargate");
  ASSERT_TRUE(fargate.is_object()) << golden.dump();
  EXPECT_EQ(fargate["source"], "estimated");
  EXPECT_NE(fargate["basis"].get<std::string>().find("0.25 vCPU"), std::string::npos);
  // RDS db.t3.micro at $0.017/h, equally among the five (no database bytes on aws).
  const json rds = cost(golden, "rds share");
  ASSERT_TRUE(rds.is_object());
  EXPECT_NEAR(rds["value"].get<double>() * 5, env["shared"][0]["value"].get<double>(), 1e-9);
  EXPECT_NE(rds["basis"].get<std::string>().find("split equally"), std::string::npos);
  // Requests: measured from CloudWatch, and they split the load balancer.
  double requests = -1;
  for (const auto& u : golden["usage"]) {
    if (u["name"] == "requests") requests = u["value"].get<double>();
  }
  std::time_t now = std::time(nullptr);
  std::tm today{};
  gmtime_r(&now, &today);
  // Yesterday's 100 belong to this month unless today is its first day.
  EXPECT_EQ(requests, today.tm_mday == 1 ? 900 : 1000);
  EXPECT_EQ(golden["idle"]["idle"], false);
  const json tenant1 = tenant(env, "tenant1");
  EXPECT_EQ(tenant1["idle"]["idle"], true) << tenant1.dump();
  EXPECT_EQ(tenant1["idle"]["saving"]["unit"], "USD");
  EXPECT_NEAR(tenant1["idle"]["saving"]["value"].get<double>(), fargate["value"].get<double>(), 1e-9);
  EXPECT_NE(tenant1["idle"]["saving"]["basis"].get<std::string>().find("wpfleet tenant sleep tenant1 -e sit"),
            std::string::npos);

  // --activate-tags: one UpdateCostAllocationTagsStatus, then the bill by tenant.
  const cost::Month month = cost::month_of(now);
  preset_cost_explorer(month.first_day(), month.next_first_day(),
                       {{"goldencrust", "12.3456"}, {"tenant1", "3.5"}});
  env = cost_json({"--activate-tags"});
  EXPECT_EQ(tags_->activations, 1);
  const json billed = tenant(env, "goldencrust");
  const json tagged = cost(billed, "tagged resources");
  ASSERT_TRUE(tagged.is_object()) << billed.dump();
  EXPECT_EQ(tagged["source"], "billed");
  EXPECT_DOUBLE_EQ(tagged["value"].get<double>(), 12.3456);
  EXPECT_TRUE(cost(billed, "fargate").is_null()) << "the bill holds its own resources";
  EXPECT_EQ(cost(billed, "rds share")["source"], "estimated");
  EXPECT_EQ(billed["total"]["source"], "billed+estimated");
  // A tenant Cost Explorer has no group for keeps its estimate.
  EXPECT_EQ(cost(tenant(env, "sterlinglaw"), "fargate")["source"], "estimated");

  // An earlier month Cost Explorer has nothing for: estimates, and a note saying why.
  const std::string earlier = cost::month_of(month.start_unix() - 86400).text();
  env = cost_json({"--month", earlier});
  bool no_data = false;
  for (const auto& note : env["notes"]) {
    no_data = no_data || note.get<std::string>().find("has no figures for " + earlier) != std::string::npos;
  }
  EXPECT_TRUE(no_data) << env["notes"].dump();
}

TEST_F(AwsCost, BadInputIsRefusedWithExitCode3) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"cost", "--month", "2026-13"}, {"cost", "-e", "nowhere"},
           {"cost", "--month", "2999-01"}, {"cost", "--idle-days", "0"}}) {
    CliResult r = wpfleet(args);
    EXPECT_EQ(r.exit_code, 3) << args[1] << " " << args[2] << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
  }
  CliResult r = wpfleet({"cost", "--month", "2026-13"});
  EXPECT_NE(r.err.find("YYYY-MM"), std::string::npos) << r.err;
}

// Sleep scales the tenant's service to 0 and is recorded, so apply keeps it there and
// the runtime's check counts 0 tasks as right; wake scales it back to 1.
TEST_F(AwsCost, SleepScalesTheServiceToZeroAndApplyKeepsItAsleep) {
  const auto desired = [] {
    aws::Client client = aws_->client();
    auto answer = client.json(aws::kEcs, "DescribeServices",
                              {{"cluster", "sit-cluster"}, {"services", {"sit-goldencrust-service"}}});
    EXPECT_TRUE(answer.ok()) << answer.error().message;
    return answer ? (*answer)["services"][0].value("desiredCount", -1) : -1;
  };
  CliResult applied = wpfleet({"apply", "--yes"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  ASSERT_EQ(desired(), 1);
  CliResult slept = wpfleet({"tenant", "sleep", "goldencrust", "-e", "sit"});
  ASSERT_EQ(slept.exit_code, 0) << slept.err;
  EXPECT_NE(slept.out.find("runs no task"), std::string::npos) << slept.out;
  EXPECT_EQ(desired(), 0);
  CliResult planned = wpfleet({"plan", "-e", "sit"});
  EXPECT_EQ(planned.exit_code, 0) << planned.out;
  EXPECT_NE(planned.out.find("sit/goldencrust is asleep"), std::string::npos) << planned.out;
  // verify: asleep, and its runtime right to want no task (no edge or target asked).
  CliResult verified = wpfleet({"verify", "goldencrust", "-e", "sit", "--output", "json"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("asleep since"), std::string::npos) << verified.out << verified.err;
  EXPECT_EQ(verified.out.find("\"edge\""), std::string::npos) << verified.out;
  ASSERT_EQ(wpfleet({"apply", "--yes"}).exit_code, 0);
  EXPECT_EQ(desired(), 0) << "apply must not wake it";
  // cost sees no task (what its estimate prices), and says it is asleep.
  const json golden = tenant(cost_json({}), "goldencrust");
  for (const auto& u : golden["usage"]) {
    if (u["name"] == "tasks") {
      EXPECT_EQ(u["value"], 0);
    }
  }
  EXPECT_EQ(golden["sleep"]["state"], "asleep");

  ASSERT_EQ(wpfleet({"tenant", "wake", "goldencrust", "-e", "sit"}).exit_code, 0);
  EXPECT_EQ(desired(), 1);
  EXPECT_EQ(wpfleet({"tenant", "wake", "goldencrust", "-e", "sit"}).exit_code, 0);
  EXPECT_EQ(desired(), 1);
}

}  // namespace
}  // namespace wpfleet::testing
