// Benchmark of the aws backend (issue: "AWS backend", section Performance), with the
// real wpfleet binary against moto's server (signature checks on) behind the test's
// AwsProxy, which counts every API call by action and makes one-off ECS tasks (database
// and site installs) stop at once with exit code 0:
//   1. `plan` with nothing to do on the user's SIT (5 adopted tenants) and then on 100
//      (95 generated ones applied first): API calls and wall time per plan, and the
//      ratio 100 / 5 — observing the fleet must not cost more with more tenants.
//   2. `apply` of the 13 tenants of examples/bbws.toml in a new environment (uat: the
//      shared platform only) of the same account: time, calls, calls per tenant, top
//      actions; then a second apply, which must change nothing.
// Prints the figures as Markdown. Not part of the test run: bench/aws_bench.sh builds
// and runs it.
//   usage: wpfleet_aws_bench PATH/TO/wpfleet [--extra N] [--rounds R]
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "aws_fake.h"
#include "aws_sit_fixture.h"
#include "harness.h"
#include "moto_server.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

constexpr const char* kAccount = "123456789012";  // moto's

struct BenchTenant {
  std::string id, title, email;
};

// The 13 tenants of examples/bbws.toml.
const std::vector<BenchTenant>& example_tenants() {
  static const std::vector<BenchTenant> tenants = {
      {"tenant1", "Tenant One Demo", "admin@tenant1.example"},
      {"tenant2", "Tenant Two Demo", "admin@tenant2.example"},
      {"goldencrust", "Golden Crust Bakery & Cafe", "admin@goldencrust.example"},
      {"sunsetbistro", "Sunset Bistro", "admin@sunsetbistro.example"},
      {"sterlinglaw", "Sterling Law", "admin@sterlinglaw.example"},
      {"ironpeak", "Iron Peak Construction", "admin@ironpeak.example"},
      {"premierprop", "Premier Properties", "admin@premierprop.example"},
      {"lenslight", "Lens & Light Photography", "admin@lenslight.example"},
      {"nexgentech", "NexGen Tech Consulting", "admin@nexgentech.example"},
      {"serenity", "Serenity Spa & Wellness", "admin@serenity.example"},
      {"bloompetal", "Bloom & Petal Florist", "admin@bloompetal.example"},
      {"precisionauto", "Precision Auto Services", "admin@precisionauto.example"},
      {"bbwstrustedservice", "BBWS Trusted Service", "admin@bbwstrustedservice.example"}};
  return tenants;
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "\"" : ", \"") + item + "\"";
  return out;
}

// A fleet file with one aws environment `env` on `platform` and `tenants` in it.
std::string fleet_text(const std::string& env, const SitFixture& platform,
                       const std::vector<BenchTenant>& tenants) {
  std::string text = "[environments." + env + "]\nbackend = \"aws\"\ndomain = \"{tenant}.wp" +
                     env + ".kimmyai.io\"\n\n[environments." + env +
                     ".aws]\nregion = \"us-east-1\"\naccount_id = \"" + kAccount +
                     "\"\nsubnets = [" + quoted_list(platform.subnets) +
                     "]\nsecurity_groups = [" + quoted_list(platform.security_groups) + "]\n";
  for (const auto& t : tenants) {
    text += "\n[[tenants]]\nid = \"" + t.id + "\"\ntitle = \"" + t.title +
            "\"\nadmin_email = \"" + t.email + "\"\nenvironments = [\"" + env + "\"]\n";
  }
  return text;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string fixed(double value, int decimals = 2) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// One run of wpfleet: its output, wall time and the API calls it made (the proxy's
// count before and after, by action).
struct Run {
  CommandOutput output;
  double seconds = 0;
  double cpu_seconds = 0;  // wpfleet's own user + system time
  int calls = 0;
  std::map<std::string, int> by_action;
};

// User + system time of the children waited for so far.
double children_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  auto secs = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

std::map<std::string, int> minus(std::map<std::string, int> after,
                                 const std::map<std::string, int>& before) {
  for (const auto& [action, count] : before) after[action] -= count;
  std::erase_if(after, [](const auto& entry) { return entry.second == 0; });
  return after;
}

// A query answer's text, percent-decoded (IAM answers policy documents URL-encoded).
std::string percent_decoded(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

class Bench {
 public:
  Bench(std::string wpfleet, int extra, int rounds)
      : wpfleet_(std::move(wpfleet)),
        extra_(extra),
        rounds_(rounds),
        moto_(std::map<std::string, std::string>{{"MOTO_ECS_SERVICE_RUNNING", "1"}}),
        credentials_(moto_.enable_auth()),
        proxy_(moto_.endpoint(), credentials_) {}

  int run() {
    std::cout << "# aws backend benchmark\n\n" << std::thread::hardware_concurrency()
              << " CPUs; moto's server (signature checks on) behind the AwsProxy on loopback; "
              << wpfleet_ << "\n\n";
    plan_bench();
    apply_bench();
    const auto violations = proxy_.violations();
    const auto errors = proxy_.errors();
    for (const auto& v : violations) std::cout << "VIOLATION: " << v << "\n";
    for (const auto& e : errors) std::cout << "PROXY ERROR: " << e << "\n";
    return violations.empty() && errors.empty() ? 0 : 1;
  }

 private:
  aws::Client client() const {
    aws::ClientConfig config = moto_.client_config(credentials_);
    config.endpoint_url = proxy_.endpoint();
    return aws::Client(config);
  }

  Run wpfleet(const std::filesystem::path& fleet, std::vector<std::string> args) {
    CommandSpec spec;
    spec.argv = {wpfleet_, "-f", fleet.string()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = {{"AWS_ENDPOINT_URL", proxy_.endpoint()},
                {"AWS_ACCESS_KEY_ID", credentials_.access_key_id},
                {"AWS_SECRET_ACCESS_KEY", credentials_.secret_access_key},
                // No profile of this machine's user may leak in.
                {"AWS_SHARED_CREDENTIALS_FILE", (dir_.path() / "no-credentials").string()},
                {"AWS_CONFIG_FILE", (dir_.path() / "no-config").string()}};
    spec.timeout = std::chrono::minutes(30);
    Run run;
    const int before = proxy_.requests();
    const auto before_by_action = proxy_.requests_by_action();
    const double cpu_before = children_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    auto output = run_command(spec);
    run.seconds = seconds_since(start);
    run.cpu_seconds = children_cpu_seconds() - cpu_before;
    if (!output) throw std::runtime_error("cannot run wpfleet: " + output.error().message);
    run.output = std::move(*output);
    run.calls = proxy_.requests() - before;
    run.by_action = minus(proxy_.requests_by_action(), before_by_action);
    return run;
  }

  Run apply(const std::filesystem::path& fleet, const std::string& what) {
    Run run = wpfleet(fleet, {"apply", "--yes"});
    if (run.output.exit_code != 0) {
      throw std::runtime_error(what + ": wpfleet apply failed (" +
                               std::to_string(run.output.exit_code) + "):\n" + run.output.out +
                               run.output.err);
    }
    return run;
  }

  // `rounds_` plans that must find nothing to do.
  std::vector<Run> plans(const std::filesystem::path& fleet, const std::string& what) {
    std::vector<Run> runs;
    for (int i = 0; i < rounds_; ++i) {
      Run run = wpfleet(fleet, {"plan"});
      if (run.output.exit_code != 0 || run.output.out.find("No changes") == std::string::npos) {
        throw std::runtime_error(what + ": plan found something to do (exit " +
                                 std::to_string(run.output.exit_code) + "):\n" + run.output.out +
                                 run.output.err);
      }
      runs.push_back(std::move(run));
    }
    return runs;
  }

  struct PlanFigures {
    int calls_min = 0, calls_max = 0;
    double median = 0, best = 0, cpu_median = 0;
    std::map<std::string, int> by_action;  // of the first plan
  };

  static PlanFigures figures(const std::vector<Run>& runs) {
    PlanFigures f;
    std::vector<double> times, cpu;
    std::vector<int> calls;
    for (const auto& r : runs) {
      times.push_back(r.seconds);
      cpu.push_back(r.cpu_seconds);
      calls.push_back(r.calls);
    }
    std::sort(cpu.begin(), cpu.end());
    f.cpu_median = cpu[cpu.size() / 2];
    std::sort(times.begin(), times.end());
    f.median = times[times.size() / 2];
    f.best = times.front();
    f.calls_min = *std::min_element(calls.begin(), calls.end());
    f.calls_max = *std::max_element(calls.begin(), calls.end());
    f.by_action = runs.front().by_action;
    return f;
  }

  static std::string calls_text(const PlanFigures& f) {
    return f.calls_min == f.calls_max
               ? std::to_string(f.calls_min)
               : std::to_string(f.calls_min) + "–" + std::to_string(f.calls_max);
  }

  static std::string actions_text(const std::map<std::string, int>& by_action, size_t top) {
    std::vector<std::pair<std::string, int>> sorted(by_action.begin(), by_action.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string out;
    for (size_t i = 0; i < sorted.size() && i < top; ++i) {
      out += (out.empty() ? "" : ", ") + sorted[i].first + " " + std::to_string(sorted[i].second);
    }
    if (sorted.size() > top) {
      int rest = 0;
      for (size_t i = top; i < sorted.size(); ++i) rest += sorted[i].second;
      out += ", others " + std::to_string(rest);
    }
    return out;
  }

  void plan_bench() {
    const auto setup_start = std::chrono::steady_clock::now();
    aws::Client setup = client();
    const int setup_before = proxy_.requests();
    sit_ = make_user_sit(setup);
    std::cout << "The user's SIT made in moto (" << proxy_.requests() - setup_before
              << " calls, " << fixed(seconds_since(setup_start)) << " s).\n\n";

    std::vector<BenchTenant> tenants;
    for (const auto& [id, priority] : sit_tenants()) {
      tenants.push_back({id, id, "owner@" + id + ".example"});
    }
    const auto dir = dir_.path() / "sit";
    std::filesystem::create_directories(dir);
    const auto fleet = dir / "fleet.toml";
    std::ofstream(fleet) << fleet_text("sit", sit_, tenants);
    const Run adopted = apply(fleet, "adopting the user's SIT");
    const PlanFigures five = figures(plans(fleet, "5 tenants"));

    for (int i = 1; i <= extra_; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "bench%03d", i);
      tenants.push_back({id, "Bench Site " + std::to_string(i), std::string("admin@") + id + ".example"});
    }
    std::ofstream(fleet) << fleet_text("sit", sit_, tenants);
    const Run grown = apply(fleet, "applying the generated tenants");
    const PlanFigures many = figures(plans(fleet, std::to_string(tenants.size()) + " tenants"));

    const size_t n = tenants.size();
    std::cout << "## 1. plan with nothing to do\n\n"
              << "| tenants | calls per plan | time, median of " << rounds_
              << " | best | wpfleet's CPU, median |\n"
              << "|---|---|---|---|---|\n"
              << "| 5 | " << calls_text(five) << " | " << fixed(five.median) << " s | "
              << fixed(five.best) << " s | " << fixed(five.cpu_median, 3) << " s |\n"
              << "| " << n << " | " << calls_text(many) << " | " << fixed(many.median) << " s | "
              << fixed(many.best) << " s | " << fixed(many.cpu_median, 3) << " s |\n"
              << "| ratio " << n << " / 5 | " << fixed(double(many.calls_max) / five.calls_max)
              << " | " << fixed(many.median / five.median) << " | "
              << fixed(many.best / five.best) << " | " << fixed(many.cpu_median / five.cpu_median)
              << " |\n\n"
              << "Calls of one plan over 5: " << actions_text(five.by_action, 100) << "\n\n"
              << "Calls of one plan over " << n << ": " << actions_text(many.by_action, 100)
              << "\n\n"
              << "Before: apply adopting the 5 untagged tenants: " << fixed(adopted.seconds)
              << " s (wpfleet's CPU " << fixed(adopted.cpu_seconds) << " s), " << adopted.calls << " calls (" << actions_text(adopted.by_action, 8)
              << ")\n\n"
              << "Before: apply of " << extra_ << " new tenants beside them: "
              << fixed(grown.seconds) << " s (wpfleet's CPU " << fixed(grown.cpu_seconds)
              << " s), " << grown.calls << " calls ("
              << fixed(double(grown.calls) / extra_, 1)
              << " per new tenant; " << actions_text(grown.by_action, 8) << ")\n\n"
              << "After: " << role_policies("sit") << " (AWS caps a role's inline policies at "
              << "10,240 characters in all).\n\n";
  }

  // The inline policies of the environment's execution role: how many, and their
  // total size as IAM counts it (characters without whitespace; AWS caps the total of a
  // role's inline policies at 10,240, which moto does not enforce).
  std::string role_policies(const std::string& env) const {
    aws::Client c = client();
    const std::string role = env + "-ecs-task-execution-role";
    auto listed = c.query(aws::kIam, "ListRolePolicies", {{"RoleName", role}, {"MaxItems", "1000"}});
    if (!listed) throw std::runtime_error("ListRolePolicies: " + listed.error().message);
    int count = 0;
    size_t characters = 0;
    for (const auto& name : listed->select_nodes("//PolicyNames/member")) {
      auto got = c.query(aws::kIam, "GetRolePolicy",
                         {{"RoleName", role}, {"PolicyName", name.node().child_value()}});
      if (!got) throw std::runtime_error("GetRolePolicy: " + got.error().message);
      std::string document = got->select_node("//PolicyDocument").node().child_value();
      if (document.starts_with("%")) document = percent_decoded(document);
      ++count;
      for (char ch : nlohmann::json::parse(document).dump()) characters += ch != ' ';
    }
    return role + " holds " + std::to_string(count) + " inline policies, " +
           std::to_string(characters) + " characters in all";
  }

  void apply_bench() {
    aws::Client setup = client();
    const int setup_before = proxy_.requests();
    const SitFixture uat = make_user_sit(setup, "uat", "wpuat.kimmyai.io", {});
    std::cout << "## 2. apply of the 13-tenant example in a new environment\n\n"
              << "uat: the shared platform alone (" << proxy_.requests() - setup_before
              << " calls to make it), in the account that now runs the " << 5 + extra_
              << " sit tenants.\n\n";
    const auto dir = dir_.path() / "uat";
    std::filesystem::create_directories(dir);
    const auto fleet = dir / "fleet.toml";
    std::ofstream(fleet) << fleet_text("uat", uat, example_tenants());
    const Run first = apply(fleet, "the example in uat");
    const Run second = apply(fleet, "the example in uat, again");
    if (second.output.err.find("No changes") == std::string::npos) {
      std::cout << "NOTE: the second apply was not empty:\n" << second.output.err << "\n";
    }
    const PlanFigures plan = figures(plans(fleet, "the example in uat"));
    const size_t n = example_tenants().size();
    std::cout << "| | time | wpfleet's CPU | calls | calls per tenant |\n|---|---|---|---|---|\n"
              << "| first apply (13 new tenants) | " << fixed(first.seconds) << " s | "
              << fixed(first.cpu_seconds) << " s | " << first.calls << " | "
              << fixed(double(first.calls) / n, 1) << " |\n"
              << "| second apply (nothing to do) | " << fixed(second.seconds) << " s | "
              << fixed(second.cpu_seconds, 3) << " s | " << second.calls << " | "
              << fixed(double(second.calls) / n, 1) << " |\n"
              << "| plan after it, median of " << rounds_ << " | " << fixed(plan.median)
              << " s | " << fixed(plan.cpu_median, 3) << " s | " << calls_text(plan) << " | |\n\n"
              << "Calls of the first apply by action: " << actions_text(first.by_action, 100)
              << "\n\n"
              << "Calls of the second apply by action: " << actions_text(second.by_action, 100)
              << "\n\n";
  }

  const std::string wpfleet_;
  const int extra_;
  const int rounds_;
  TempDir dir_;
  MotoServer moto_;
  aws::Credentials credentials_;
  AwsProxy proxy_;
  SitFixture sit_;
};

}  // namespace
}  // namespace wpfleet::testing

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " PATH/TO/wpfleet [--extra N] [--rounds R]\n";
    return 2;
  }
  int extra = 95, rounds = 5;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--extra") {
      extra = std::atoi(argv[i + 1]);
    } else if (flag == "--rounds") {
      rounds = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::cerr << "unknown option " << flag << "\n";
      return 2;
    }
  }
  // Only the variables the bench sets may point wpfleet at AWS.
  for (const char* name : {"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN",
                           "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_DEFAULT_PROFILE"}) {
    ::unsetenv(name);
  }
  try {
    return wpfleet::testing::Bench(std::filesystem::absolute(argv[1]).string(), extra, rounds).run();
  } catch (const std::exception& e) {
    std::cerr << "aws bench: " << e.what() << "\n";
    return 1;
  }
}
