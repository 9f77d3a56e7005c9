// Two aws environments for moving content between them on the direct paths, shared by
// the aws content tests and bench/aws_promote_bench.cc: moto's server (signature
// checks on) behind the AwsProxy; dev in a second account (111111111111, reached by
// assuming a role there as role_arn does) and sit in moto's own, each with its platform
// as the user's Terraform left it and one tenant; a MariaDB per environment standing in
// for its RDS instance (TCP loopback, the master user from the master secret) and a
// directory per environment standing in for the directory where its EFS root is
// mounted (or, on the task paths, that the one-off tasks run here reach as their RDS
// and EFS). sit is applied by wpfleet (its installer tasks end as the proxy says); dev's
// tenant is the user's own, its database made by hand as their db-init task made it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "aws_test_env.h"
#include "harness.h"
#include "loopback_mariadb.h"
#include "util/process.h"

namespace wpfleet::testing {

inline constexpr const char* kContentTenant = "goldencrust";

class AwsContentPlatform {
 public:
  // Builds all of it and applies sit; throws std::runtime_error saying what failed.
  AwsContentPlatform();

  AwsTestEnv& aws() { return *aws_; }
  LoopbackMariaDb& db(const std::string& env) { return env == "dev" ? *dev_db_ : *sit_db_; }
  // The directory standing in for where `env`'s EFS root is mounted.
  std::filesystem::path efs(const std::string& env) const { return dir_.path() / (env + "-efs"); }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::string home(const std::string& env) const;  // https://goldencrust.wp<env>.kimmyai.io

  // The fleet file: dev and sit with the tenant; sit is production when `production`,
  // with `sit_extra` lines in its table.
  void write_fleet(bool production, const std::string& sit_extra) const;
  // From now on the fleet file puts both environments on the task paths (db_access and
  // files_access "task"; false: "direct"), and the tasks wpfleet starts for content and
  // database SQL run on this machine (run_task_here) against the environment's stand-ins;
  // other tasks (the WordPress installer) end as the proxy's settings say.
  void use_task_paths(bool tasks);
  // wpfleet with this fleet file, its state and the process environment that reaches
  // the emulator.
  CommandSpec command(const std::vector<std::string>& args) const;
  CliResult wpfleet(const std::vector<std::string>& args) const;

  // WordPress-shaped tables in the tenant's database on `env` (options with the site's
  // URL plain and PHP-serialized, a post linking to it, the admin user and a login
  // session), `tagline` as its blogdescription; and its wp-content as its tasks
  // (www-data) wrote it.
  void seed_content(const std::string& env, const std::string& tagline);

 private:
  std::string env_table(const std::string& env, const std::string& account) const;

  std::unique_ptr<AwsTestEnv> aws_;
  std::unique_ptr<SitFixture> sit_;
  std::unique_ptr<SitFixture> dev_;
  std::unique_ptr<LoopbackMariaDb> dev_db_;
  std::unique_ptr<LoopbackMariaDb> sit_db_;
  bool task_paths_ = false;
  TempDir dir_;
};

}  // namespace wpfleet::testing
