// Promote benchmark on aws environments, direct paths (issue 8): a tenant whose
// database holds SIZE MB of generated WordPress content is promoted dev -> sit between
// two emulated accounts (tests/integration/aws_content_fixture.h: moto behind the
// AwsProxy, a loopback MariaDB per environment for RDS, a directory per environment for
// the mounted EFS), against a plain `mariadb-dump | mariadb` copy of the same database
// between the same two servers over TCP, measured before and after the promote in the
// same run (their mean is the baseline). Reports the ratio and the AWS API calls the
// promote made, by action, as counted by the proxy.
//   usage: wpfleet_aws_promote_bench DUMP.sql SIZE_MB   (bench/aws_promote_bench.sh)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "aws_content_fixture.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void shell(const std::string& script) {
  CommandSpec spec;
  spec.argv = {"bash", "-c", "set -euo pipefail\n" + script};
  spec.timeout = std::chrono::hours(2);
  auto out = run_command(spec);
  if (!out || out->exit_code != 0) {
    throw std::runtime_error("failed: " + script + ": " + (out ? out->err : out.error().message));
  }
}

void root_sql(LoopbackMariaDb& db, const std::string& sql) {
  shell("mariadb -uroot --socket=" + db.socket() + " -e \"" + sql + "\"");
}

// mariadb-dump | mariadb between the two servers over TCP, as a user with every
// privilege on both: the copy any tool would make.
double plain_copy(AwsContentPlatform& platform) {
  root_sql(platform.db("sit"), "DROP DATABASE IF EXISTS plain_copy; CREATE DATABASE plain_copy");
  const auto start = Clock::now();
  shell("MYSQL_PWD=bench mariadb-dump -h127.0.0.1 -P" + std::to_string(platform.db("dev").port()) +
        " -ubench --single-transaction --quick goldencrust_db | MYSQL_PWD=bench mariadb "
        "-h127.0.0.1 -P" + std::to_string(platform.db("sit").port()) + " -ubench plain_copy");
  const double took = seconds_since(start);
  root_sql(platform.db("sit"), "DROP DATABASE plain_copy");
  return took;
}

// Seconds of one `wpfleet promote` dev -> sit with `extra` arguments.
double timed_promote(AwsContentPlatform& platform, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"promote", kContentTenant, "--from", "dev", "--to", "sit"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto start = Clock::now();
  CliResult promoted = platform.wpfleet(args);
  const double took = seconds_since(start);
  if (promoted.exit_code != 0) throw std::runtime_error("promote failed: " + promoted.err);
  return took;
}

int run(const std::string& dump, double size_mb) {
  AwsContentPlatform platform;
  platform.seed_content("dev", "benchmark");
  platform.seed_content("sit", "before");
  for (const char* env : {"dev", "sit"}) {
    root_sql(platform.db(env), "CREATE USER 'bench'@'%' IDENTIFIED BY 'bench'; GRANT ALL "
                               "PRIVILEGES ON *.* TO 'bench'@'%'");
  }
  auto start = Clock::now();
  shell("mariadb -uroot --socket=" + platform.db("dev").socket() + " goldencrust_db < " + dump);
  std::printf("aws promote benchmark on %u CPUs: %.0f MB of generated content (loaded in %.1f s)\n\n",
              std::thread::hardware_concurrency(), size_mb, seconds_since(start));

  const double before = plain_copy(platform);
  const int calls_before = platform.aws().proxy().requests();
  const auto by_action_before = platform.aws().proxy().requests_by_action();
  const double promote = timed_promote(platform, {});
  const int calls = platform.aws().proxy().requests() - calls_before;
  const auto by_action_after = platform.aws().proxy().requests_by_action();
  // One stream (mariadb-dump | rewriter | mariadb), into sit emptied again as before the
  // first, so that its snapshot is as small.
  root_sql(platform.db("sit"), "DROP DATABASE goldencrust_db; CREATE DATABASE goldencrust_db");
  platform.seed_content("sit", "before");
  const double one_stream = timed_promote(platform, {"--streams", "1"});
  const double after = plain_copy(platform);
  const double baseline = (before + after) / 2;

  std::printf("| what | seconds | MB/s | x plain copy |\n|---|---|---|---|\n");
  std::printf("| plain mariadb-dump \\| mariadb over TCP (before) | %.2f | %.0f | |\n", before,
              size_mb / before);
  std::printf("| plain mariadb-dump \\| mariadb over TCP (after) | %.2f | %.0f | |\n", after,
              size_mb / after);
  std::printf("| wpfleet promote dev -> sit, default streams (snapshot of sit, copy, rewrite, "
              "swap, settle) | %.2f | %.0f | %.2f |\n",
              promote, size_mb / promote, promote / baseline);
  std::printf("| wpfleet promote dev -> sit --streams 1 | %.2f | %.0f | %.2f |\n\n", one_stream,
              size_mb / one_stream, one_stream / baseline);
  std::vector<std::pair<int, std::string>> actions;
  for (const auto& [action, count] : by_action_after) {
    const auto was = by_action_before.find(action);
    const int made = count - (was == by_action_before.end() ? 0 : was->second);
    if (made > 0) actions.emplace_back(made, action);
  }
  std::sort(actions.rbegin(), actions.rend());
  std::printf("AWS API calls of the promote: %d (", calls);
  for (std::size_t i = 0; i < actions.size(); ++i) {
    std::printf("%s%s %d", i ? ", " : "", actions[i].second.c_str(), actions[i].first);
  }
  std::printf(")\n");
  return 0;
}

}  // namespace
}  // namespace wpfleet::testing

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: wpfleet_aws_promote_bench DUMP.sql SIZE_MB\n";
    return 3;
  }
  try {
    return wpfleet::testing::run(argv[1], std::stod(argv[2]));
  } catch (const std::exception& e) {
    std::cerr << "aws promote benchmark: " << e.what() << "\n";
    return 1;
  }
}
