// The aws backend's storage, runtime, route and site providers, called directly (not
// through the binary) against moto's server behind the AwsProxy, on the user's SIT as
// their Terraform left it: what they adopt, what they make, the priorities they allocate
// (also in parallel), the installer task's overrides, and exactly what remove removes.
// Each test builds its own SIT (its own environment name) in one moto for the suite.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "aws/pagination.h"
#include "aws_test_env.h"
#include "backends/aws/providers.h"
#include "backends/aws/tenant_secret.h"
#include "util/crypto.h"

namespace wpfleet::testing {
namespace {

using aws_backend::SharedPlatforms;
using nlohmann::json;

class AwsComputeProviders : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      aws_ = new AwsTestEnv();
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete aws_;
    aws_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(aws_, nullptr) << setup_error_;
    complaints_.emplace(aws_->proxy());
    client_ = std::make_unique<aws::Client>(aws_->client());
    // A SIT of its own per test: "sita", "sitb", ...
    env_name_ = "sit" + std::string(1, static_cast<char>('a' + tests_run_++));
    try {
      sit_ = make_user_sit(*client_, env_name_, env_name_ + ".kimmyai.io");
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    env_ = sit_environment(env_name_, env_name_ + ".kimmyai.io", sit_);
    platforms_ = std::make_shared<aws_backend::AwsPlatforms>(aws_->process_env());
    storage_ = aws_backend::make_storage_provider(platforms_);
    runtime_ = aws_backend::make_runtime_provider(platforms_);
    route_ = aws_backend::make_route_provider(platforms_);
    site_ = aws_backend::make_site_provider(platforms_);
  }

  void TearDown() override {
    if (complaints_) complaints_->fail_on_new();
  }

  const Tenant& tenant(const std::string& id) {
    for (const auto& t : tenants_) {
      if (t->id == id) return *t;
    }
    auto made = std::make_unique<Tenant>();
    made->id = id;
    made->title = "The " + id + " site";
    made->admin_email = "owner@" + id + ".example";
    made->environments = {env_name_};
    tenants_.push_back(std::move(made));
    return *tenants_.back();
  }
  TenantContext context(const std::string& id) { return make_tenant_context(tenant(id), env_); }

  // What the secrets step (another provider) makes for a new tenant: the user's JSON
  // plus the salts and the admin password, tagged as wpfleet's.
  void make_tenant_secret(const std::string& id) {
    json value = {{"username", id + "_user"},
                  {"password", *random_password()},
                  {"database", id + "_db"},
                  {"host", "db.internal"},
                  {"port", 3306},
                  {aws_backend::kAdminPasswordKey, *random_password()}};
    for (const char* key : aws_backend::kWordPressKeys) value[key] = *random_password(64);
    json tags = json::array();
    for (const auto& [key, val] : aws_backend::tenant_tags(env_name_, id)) {
      tags.push_back({{"Key", key}, {"Value", val}});
    }
    auto made = client_->json(aws::kSecretsManager, "CreateSecret",
                              {{"Name", env_name_ + "-" + id + "-db-credentials"},
                               {"SecretString", value.dump()},
                               {"Tags", tags}});
    ASSERT_TRUE(made) << made.error().message;
  }

  // Storage, runtime and route, in apply's order; the route's detail.
  json apply_compute(const std::string& id) {
    const TenantContext ctx = context(id);
    auto storage = storage_->ensure(ctx);
    EXPECT_TRUE(storage) << storage.error().message;
    auto runtime = runtime_->ensure(ctx);
    EXPECT_TRUE(runtime) << runtime.error().message;
    auto route = route_->ensure(ctx);
    EXPECT_TRUE(route) << route.error().message;
    return route ? json::parse(*route) : json();
  }

  // priority -> host of the listener's rules.
  std::map<int, std::string> rules() {
    auto pages = aws::all_query_pages(*client_, aws::kElbV2, "DescribeRules",
                                      {{"ListenerArn", sit_.listener_arn}}, "NextMarker");
    EXPECT_TRUE(pages) << pages.error().message;
    std::map<int, std::string> out;
    if (!pages) return out;
    for (const auto& page : *pages) {
      for (const auto& rule : page.select_nodes("//Rules/member")) {
        if (std::string(rule.node().child_value("IsDefault")) == "true") continue;
        out[std::stoi(rule.node().child_value("Priority"))] =
            rule.node()
                .select_node("Conditions/member/HostHeaderConfig/Values/member")
                .node()
                .child_value();
      }
    }
    return out;
  }

  std::string host(const std::string& id) const { return id + "." + env_name_ + ".kimmyai.io"; }

  std::map<std::string, int> calls() const { return aws_->proxy().requests_by_action(); }
  static int delta(const std::map<std::string, int>& before,
                   const std::map<std::string, int>& after, const std::string& action) {
    const auto a = after.find(action);
    const auto b = before.find(action);
    return (a == after.end() ? 0 : a->second) - (b == before.end() ? 0 : b->second);
  }
  static int total(const std::map<std::string, int>& before,
                   const std::map<std::string, int>& after) {
    int sum = 0;
    for (const auto& [action, count] : after) sum += delta(before, after, action);
    return sum;
  }

  json service(const std::string& id) {
    auto described = client_->json(aws::kEcs, "DescribeServices",
                                   {{"cluster", env_name_ + "-cluster"},
                                    {"services", {env_name_ + "-" + id + "-service"}},
                                    {"include", {"TAGS"}}});
    EXPECT_TRUE(described) << described.error().message;
    if (!described || (*described)["services"].empty()) return json();
    return (*described)["services"][0];
  }

  std::set<std::string> access_point_paths() {
    auto listed = client_->rest_json(aws::kEfs, "DescribeAccessPoints", "GET",
                                     "/2015-02-01/access-points", {{"FileSystemId", sit_.efs_id}});
    EXPECT_TRUE(listed) << listed.error().message;
    std::set<std::string> paths;
    if (!listed) return paths;
    for (const auto& point : (*listed)["AccessPoints"])
      paths.insert(point["RootDirectory"]["Path"]);
    return paths;
  }

  bool target_group_exists(const std::string& id) {
    auto found = client_->query(aws::kElbV2, "DescribeTargetGroups",
                                {{"Names.member.1", env_name_ + "-" + id + "-tg"}});
    return found.ok();
  }

  std::optional<ProxyComplaints> complaints_;
  std::string env_name_;
  SitFixture sit_;
  Environment env_;
  std::vector<std::unique_ptr<Tenant>> tenants_;
  SharedPlatforms platforms_;
  std::unique_ptr<ResourceProvider> storage_, runtime_, route_, site_;
  std::unique_ptr<aws::Client> client_;

  static inline AwsTestEnv* aws_ = nullptr;
  static inline std::string setup_error_;
  static inline int tests_run_ = 0;
};

const std::set<std::string> kSit = {"goldencrust", "tenant1", "tenant2", "sunsetbistro",
                                    "sterlinglaw"};

TEST_F(AwsComputeProviders, ExistingFindsTheUsersTenantsInABoundedNumberOfCalls) {
  std::set<std::string> candidates = kSit;
  candidates.insert("ironpeak");
  // The platform lookups are made once per environment; count what existing() adds.
  ASSERT_TRUE(platforms_->platform(env_));
  const auto before = calls();
  for (auto* provider : {storage_.get(), runtime_.get(), route_.get(), site_.get()}) {
    auto found = provider->existing(env_, candidates);
    ASSERT_TRUE(found) << kind_name(provider->kind()) << ": " << found.error().message;
    EXPECT_EQ(*found, kSit) << kind_name(provider->kind());
  }
  const auto after = calls();
  EXPECT_EQ(delta(before, after, "GET /2015-02-01/access-points"), 1);
  EXPECT_EQ(delta(before, after, "DescribeRules"), 1);
  EXPECT_EQ(delta(before, after, "ListServices"), 2);  // runtime; site (the user's secrets)
  EXPECT_EQ(delta(before, after, "ListSecrets"), 1);
  // storage: whether the environment's transfer bucket is there (it is not here)
  EXPECT_EQ(delta(before, after, "GET /" + env_name_ + "-wpfleet-transfer"), 1);
  EXPECT_EQ(total(before, after), 6);
}

TEST_F(AwsComputeProviders, AdoptingGoldencrustKeepsPriority140AndASecondEnsureChangesNothing) {
  make_tenant_secret("ironpeak");  // not used; the users' secrets stay as they are
  const json detail = apply_compute("goldencrust");
  EXPECT_EQ(detail["priority"], 140);
  EXPECT_EQ(rules()[140], host("goldencrust"));
  EXPECT_EQ(rules().size(), 5u);

  const json adopted = service("goldencrust");
  EXPECT_EQ(adopted["status"], "ACTIVE");
  EXPECT_NE(adopted["taskDefinition"].get<std::string>().find(":2"), std::string::npos)
      << "the user's revision 1 lacks the salts and the mount: revision 2 is the convergence";
  std::set<std::string> tag_keys;
  for (const auto& tag : adopted["tags"]) tag_keys.insert(tag["key"]);
  EXPECT_TRUE(tag_keys.count("managed-by"));

  // Everything converged: another ensure describes only.
  const auto before = calls();
  const json again = apply_compute("goldencrust");
  EXPECT_EQ(again, detail);
  const auto after = calls();
  for (const char* change :
       {"RegisterTaskDefinition", "CreateService", "UpdateService", "TagResource", "CreateRule",
        "ModifyRule", "AddTags", "CreateTargetGroup", "ModifyTargetGroup",
        "POST /2015-02-01/access-points"}) {
    EXPECT_EQ(delta(before, after, change), 0) << change;
  }
  EXPECT_EQ(access_point_paths().size(), 5u);  // adopted, not duplicated
  auto checked = runtime_->check(context("goldencrust"));
  EXPECT_TRUE(checked) << checked.error().message;
  auto storage_checked = storage_->check(context("goldencrust"));
  EXPECT_TRUE(storage_checked) << storage_checked.error().message;
}

TEST_F(AwsComputeProviders, ANewTenantGets190AndItsSiteIsInstalledByATaskWithoutEnvironment) {
  make_tenant_secret("ironpeak");
  const json detail = apply_compute("ironpeak");
  EXPECT_EQ(detail["priority"], 190);
  EXPECT_EQ(rules()[190], host("ironpeak"));
  EXPECT_EQ(service("ironpeak")["status"], "ACTIVE");
  EXPECT_EQ(service("ironpeak")["desiredCount"], 1);
  EXPECT_TRUE(access_point_paths().count("/ironpeak"));

  const std::size_t runs_before = aws_->proxy().run_task_requests().size();
  auto installed = site_->ensure(context("ironpeak"));
  ASSERT_TRUE(installed) << installed.error().message;
  const auto runs = aws_->proxy().run_task_requests();
  ASSERT_EQ(runs.size(), runs_before + 1);
  const json& run = runs.back();
  EXPECT_EQ(run["taskDefinition"], env_name_ + "-ironpeak");
  for (const auto& container : run["overrides"]["containerOverrides"]) {
    EXPECT_FALSE(container.contains("environment")) << container.dump();
    EXPECT_FALSE(container.contains("secrets"));
    EXPECT_EQ(container["name"], "wordpress");
    const std::string command = container["command"].dump();
    EXPECT_EQ(command.find("The ironpeak site"), std::string::npos);  // base64 only
    EXPECT_EQ(command.find("owner@ironpeak"), std::string::npos);
  }
  auto found = site_->existing(env_, {"ironpeak"});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(*found, std::set<std::string>{"ironpeak"});
  auto checked = site_->check(context("ironpeak"));
  EXPECT_TRUE(checked) << checked.error().message;
}

TEST_F(AwsComputeProviders, AFailedInstallerTaskIsAnErrorAndLeavesNoMark) {
  make_tenant_secret("ironpeak");
  apply_compute("ironpeak");
  aws_->proxy().set_task_exit_code(1);
  aws_->proxy().set_task_log_lines({"wpfleet: WordPress stopped before the install finished"});
  auto installed = site_->ensure(context("ironpeak"));
  aws_->proxy().set_task_exit_code(0);
  aws_->proxy().set_task_log_lines({"ok"});
  ASSERT_FALSE(installed);
  EXPECT_NE(installed.error().message.find("stopped before the install finished"),
            std::string::npos)
      << installed.error().message;
  auto found = site_->existing(env_, {"ironpeak"});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(found->empty());
  EXPECT_FALSE(site_->check(context("ironpeak")));
}

TEST_F(AwsComputeProviders, TwoNewTenantsInParallelGet190And200) {
  make_tenant_secret("lenslight");
  make_tenant_secret("nexgentech");
  for (const char* id : {"lenslight", "nexgentech"}) {
    auto made = storage_->ensure(context(id));
    ASSERT_TRUE(made) << made.error().message;
  }
  // As apply runs one kind's tenants: in parallel on the same provider.
  std::map<std::string, std::string> failures;
  std::mutex mutex;
  for (auto* provider : {runtime_.get(), route_.get()}) {
    std::vector<std::thread> threads;
    for (const char* id : {"lenslight", "nexgentech"}) {
      threads.emplace_back([&, provider, id] {
        auto done = provider->ensure(context(id));
        if (!done) {
          std::lock_guard lock(mutex);
          failures[id] = done.error().message;
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  EXPECT_TRUE(failures.empty()) << failures.begin()->second;
  const auto now = rules();
  ASSERT_EQ(now.size(), 7u);
  const std::set<std::string> new_hosts = {now.at(190), now.at(200)};
  EXPECT_EQ(new_hosts, (std::set<std::string>{host("lenslight"), host("nexgentech")}));
}

TEST_F(AwsComputeProviders, RemoveRemovesExactlyThatTenantsRuleServiceTargetGroupAndAccessPoint) {
  make_tenant_secret("ironpeak");
  apply_compute("ironpeak");
  ASSERT_EQ(rules().size(), 6u);
  // Reverse kind order, as delete runs.
  for (auto* provider : {site_.get(), route_.get(), runtime_.get(), storage_.get()}) {
    auto removed = provider->remove(env_, "ironpeak");
    ASSERT_TRUE(removed) << kind_name(provider->kind()) << ": " << removed.error().message;
  }
  std::map<int, std::string> expected;
  for (const auto& [tenant, priority] : sit_tenants()) expected[priority] = host(tenant);
  EXPECT_EQ(rules(), expected);
  EXPECT_NE(service("ironpeak").value("status", "MISSING"), "ACTIVE");
  EXPECT_FALSE(target_group_exists("ironpeak"));
  EXPECT_TRUE(target_group_exists("goldencrust"));
  EXPECT_EQ(access_point_paths().count("/ironpeak"), 0u);
  EXPECT_EQ(access_point_paths().size(), 5u);
  for (const auto& id : kSit) EXPECT_EQ(service(id)["status"], "ACTIVE") << id;
  auto active = client_->json(aws::kEcs, "ListTaskDefinitions",
                              {{"familyPrefix", env_name_ + "-ironpeak"}, {"status", "ACTIVE"}});
  ASSERT_TRUE(active) << active.error().message;
  EXPECT_TRUE((*active)["taskDefinitionArns"].empty());

  // Removing again: already gone is no error.
  for (auto* provider : {route_.get(), runtime_.get(), storage_.get()}) {
    auto removed = provider->remove(env_, "ironpeak");
    EXPECT_TRUE(removed) << kind_name(provider->kind()) << ": " << removed.error().message;
  }
}

TEST_F(AwsComputeProviders, AnAccessPointWithTheWrongUserIsReportedNotReplaced) {
  make_tenant_secret("ironpeak");
  auto made =
      client_->rest_json(aws::kEfs, "CreateAccessPoint", "POST", "/2015-02-01/access-points", {},
                         {{"ClientToken", "users-own"},
                          {"FileSystemId", sit_.efs_id},
                          {"PosixUser", {{"Uid", 1000}, {"Gid", 1000}}},
                          {"RootDirectory", {{"Path", "/ironpeak"}}}});
  ASSERT_TRUE(made) << made.error().message;
  auto ensured = storage_->ensure(context("ironpeak"));
  ASSERT_FALSE(ensured);
  EXPECT_NE(ensured.error().message.find("uid 1000"), std::string::npos) << ensured.error().message;
  EXPECT_NE(ensured.error().message.find("cannot change"), std::string::npos);
  EXPECT_EQ(access_point_paths().size(), 6u);  // nothing made beside it, nothing deleted
}

TEST_F(AwsComputeProviders, ChecksNameWhatIsWrong) {
  // moto's services register no targets in their target groups.
  auto route = route_->check(context("goldencrust"));
  ASSERT_FALSE(route);
  EXPECT_NE(route.error().message.find("no registered target"), std::string::npos)
      << route.error().message;
  auto runtime = runtime_->check(context("ironpeak"));
  ASSERT_FALSE(runtime);
  EXPECT_NE(runtime.error().message.find("does not exist: run `wpfleet apply`"), std::string::npos)
      << runtime.error().message;
  auto storage = storage_->check(context("ironpeak"));
  ASSERT_FALSE(storage);
  EXPECT_NE(storage.error().message.find("run `wpfleet apply`"), std::string::npos);
}

}  // namespace
}  // namespace wpfleet::testing
