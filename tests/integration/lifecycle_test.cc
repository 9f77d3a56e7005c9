// Lifecycle edges: invalid input, interrupted applies, concurrent commands, pruning.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "harness.h"
#include "platform/services.h"
#include "util/fs.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;

class Lifecycle : public OwnFleetTest {};

TEST_F(Lifecycle, InvalidFleetFileCreatesNothing) {
  ASSERT_TRUE(write_file_atomic(fleet(), test_fleet(port_, {"alpha"}) +
                                             "\n[[tenants]]\nid = \"Bad_Id\"\ntitle = \"x\"\n"
                                             "admin_email = \"a@b.example\"\n"
                                             "environments = [\"dev\"]\n").ok());
  for (const char* command : {"up", "apply", "plan"}) {
    CliResult result = wpfleet({command});
    EXPECT_EQ(result.exit_code, 3) << command;
    EXPECT_NE(result.err.find("fleet.toml:"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("Bad_Id"), std::string::npos) << result.err;
  }
  EXPECT_FALSE(fs::exists(state()));
}

TEST_F(Lifecycle, MissingServerIsNamedWithItsPackageAndNothingStarts) {
  if (geteuid() != 0 || !find_executable("unshare")) GTEST_SKIP() << "needs root and unshare";
  write_fleet({"alpha"});
  // nginx hidden in a private mount namespace: the rest of the machine keeps it.
  CommandSpec spec;
  spec.argv = {"unshare", "--mount", "--propagation", "private", "sh", "-c",
               "mount --bind /dev/null \"$(command -v nginx || echo /usr/sbin/nginx)\" && "
               "exec \"$0\" -f \"$1\" up",
               WPFLEET_BINARY, fleet().string()};
  auto up = run_command(spec);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->exit_code, 1) << up->err;
  EXPECT_NE(up->err.find("nginx not found: install the Debian package nginx"), std::string::npos)
      << up->err;
  EXPECT_FALSE(fs::exists(state() / "run" / "supervisor.pid"));
  EXPECT_FALSE(fs::exists(state() / "mariadb"));
}

TEST_F(Lifecycle, ApplyWithoutPlatformSaysToRunUp) {
  write_fleet({"alpha"});
  CliResult apply = wpfleet({"apply", "--yes"});
  EXPECT_EQ(apply.exit_code, 1);
  EXPECT_NE(apply.err.find("wpfleet up"), std::string::npos) << apply.err;
}

// Killed as soon as the sites start installing: on an empty platform, then with a tenant
// added to a running one, whose php-fpm and nginx reloads are then in flight
// (backends/local/reloads.h), then with one whose new pool is written and whose php-fpm
// configuration check has at most begun (the reload that would load it is not signalled
// yet). verify names the work left; the next apply finishes it, and the site answers.
TEST_F(Lifecycle, InterruptedApplyIsFinishedByTheNextOne) {
  write_fleet({"alpha", "beta"});
  ASSERT_EQ(wpfleet({"up"}).exit_code, 0);
  const auto kill_and_apply_again = [&](const std::string& tenant, const std::string& step) {
    const fs::path log = dir_.path() / ("apply-" + tenant + ".log");
    const pid_t apply = start({"apply", "--yes"}, log);
    ASSERT_TRUE(eventually(60, [&] {
      return read_text(log).find("dev/" + tenant + ": " + step + " created") != std::string::npos;
    })) << read_text(log);
    kill(apply, SIGKILL);
    const int first = wait_exit(apply);
    if (first == -SIGKILL) {
      CliResult verify = wpfleet({"verify", tenant});
      EXPECT_NE(verify.exit_code, 0) << verify.out;
      EXPECT_NE(verify.out.find("wpfleet apply"), std::string::npos) << verify.out;
    }
    CliResult again = wpfleet({"apply", "--yes"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    if (first == -SIGKILL) {
      EXPECT_NE(again.err.find("resuming"), std::string::npos) << again.err;
    }
    EXPECT_TRUE(answers(tenant + ".wpdev.localhost"));
    EXPECT_EQ(wpfleet({"verify"}).exit_code, 0);
    EXPECT_EQ(wpfleet({"plan"}).exit_code, 0);
  };
  kill_and_apply_again("beta", "route");
  EXPECT_TRUE(answers("alpha.wpdev.localhost"));
  write_fleet({"alpha", "beta", "gamma"});
  kill_and_apply_again("gamma", "route");
  write_fleet({"alpha", "beta", "gamma", "delta"});
  kill_and_apply_again("delta", "runtime");
  for (const char* tenant : {"alpha", "beta", "gamma"}) {
    EXPECT_TRUE(answers(std::string(tenant) + ".wpdev.localhost")) << tenant;
  }
}

// New tenants' php-fpm and nginx reloads run while their sites are copied and installed
// (backends/local/reloads.h): apply still returns only once both servers serve the new
// configuration, with no old nginx worker left.
TEST_F(Lifecycle, NewTenantsReloadsAreFinishedWhenApplyReturns) {
  write_fleet({"alpha"});
  ASSERT_EQ(wpfleet({"up"}).exit_code, 0);
  ASSERT_EQ(wpfleet({"apply", "--yes"}).exit_code, 0);
  const auto nginx_master = read_pid_file(state() / "run" / "nginx.pid");
  ASSERT_TRUE(nginx_master.has_value());
  const std::vector<pid_t> old_workers = child_processes(*nginx_master);
  ASSERT_FALSE(old_workers.empty());
  const std::string php_fpm_pid_before = read_text(state() / "run" / "php-fpm.pid");
  const auto php_fpm_reloaded_before = fs::last_write_time(state() / "run" / "php-fpm.pid");

  write_fleet({"alpha", "beta", "gamma"});
  CliResult apply = wpfleet({"apply", "--yes"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  for (pid_t worker : old_workers) EXPECT_FALSE(process_alive(worker)) << worker;
  EXPECT_EQ(read_text(state() / "run" / "php-fpm.pid"), php_fpm_pid_before);
  EXPECT_GT(fs::last_write_time(state() / "run" / "php-fpm.pid"), php_fpm_reloaded_before);
  for (const char* tenant : {"alpha", "beta", "gamma"}) {
    EXPECT_TRUE(answers(std::string(tenant) + ".wpdev.localhost")) << tenant;
  }
  // A site copied from the template does not mail the template's address that its
  // admin e-mail changed.
  const fs::path mail_log = state() / "sites" / "dev" / "beta" / "log" / "mail.log";
  EXPECT_EQ(read_text(mail_log).find("Admin Email Changed"), std::string::npos);

  // A changed pool (not a new one) is waited for by its own commit: the fleet converges
  // and answers at once.
  const fs::path pool = state() / "php-fpm" / "pools" / "dev--beta.conf";
  ASSERT_TRUE(write_file_atomic(pool, read_text(pool) + "pm.max_children = 50\n").ok());
  ASSERT_EQ(wpfleet({"apply", "--yes"}).exit_code, 0);
  EXPECT_TRUE(answers("beta.wpdev.localhost"));
  EXPECT_EQ(wpfleet({"verify", "beta"}).exit_code, 0);
  EXPECT_EQ(wpfleet({"plan"}).exit_code, 0);
}

TEST_F(Lifecycle, ConcurrentCommandsAreSerialisedAndPruneNeedsConfirmation) {
  write_fleet({"alpha", "beta"});
  ASSERT_EQ(wpfleet({"up"}).exit_code, 0);
  const fs::path log1 = dir_.path() / "apply1.log", log2 = dir_.path() / "apply2.log";
  const pid_t first = start({"apply", "--yes"}, log1);
  ASSERT_TRUE(eventually(30, [&] { return !read_text(log1).empty(); }));
  const pid_t second = start({"apply", "--yes"}, log2);
  EXPECT_EQ(wait_exit(first), 0) << read_text(log1);
  EXPECT_EQ(wait_exit(second), 0) << read_text(log2);
  EXPECT_NE(read_text(log2).find("waiting for another wpfleet command"), std::string::npos)
      << read_text(log2);
  EXPECT_TRUE(answers("beta.wpdev.localhost"));

  // beta leaves the file: nothing is deleted implicitly.
  write_fleet({"alpha"});
  CliResult plan = wpfleet({"plan"});
  EXPECT_EQ(plan.exit_code, 0);
  EXPECT_NE(plan.out.find("dev/beta is managed by wpfleet but not in the fleet file"),
            std::string::npos) << plan.out;
  EXPECT_EQ(wpfleet({"apply", "--yes"}).exit_code, 0);
  EXPECT_TRUE(answers("beta.wpdev.localhost"));
  // --prune without a terminal and without --yes refuses.
  CliResult refused = wpfleet({"apply", "--prune"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("--yes"), std::string::npos) << refused.err;
  EXPECT_TRUE(answers("beta.wpdev.localhost"));
  CliResult pruned = wpfleet({"apply", "--prune", "--yes"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_FALSE(answers("beta.wpdev.localhost"));
  EXPECT_FALSE(fs::exists(state() / "sites" / "dev" / "beta"));
  EXPECT_TRUE(answers("alpha.wpdev.localhost"));
  EXPECT_EQ(wpfleet({"plan", "--prune"}).exit_code, 0);
}

TEST_F(Lifecycle, ConfigChangedByHandIsDriftThatApplyRestores) {
  write_fleet({"alpha"});
  ASSERT_EQ(wpfleet({"up"}).exit_code, 0);
  ASSERT_EQ(wpfleet({"apply", "--yes"}).exit_code, 0);
  const fs::path site = state() / "nginx" / "sites" / "dev--alpha.conf";
  const fs::path pool = state() / "php-fpm" / "pools" / "dev--alpha.conf";
  const std::string site_text = read_text(site), pool_text = read_text(pool);
  ASSERT_TRUE(write_file_atomic(site, site_text + "# edited by hand\n").ok());
  ASSERT_TRUE(write_file_atomic(pool, pool_text + "pm.max_children = 50\n").ok());
  CliResult plan = wpfleet({"plan"});
  EXPECT_EQ(plan.exit_code, 2) << plan.out;
  EXPECT_NE(plan.out.find("dev/alpha route"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("dev/alpha runtime"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("changed outside wpfleet"), std::string::npos) << plan.out;
  ASSERT_EQ(wpfleet({"apply", "--yes"}).exit_code, 0);
  EXPECT_EQ(read_text(site), site_text);
  EXPECT_EQ(read_text(pool), pool_text);
  EXPECT_EQ(wpfleet({"plan"}).exit_code, 0);
  EXPECT_TRUE(answers("alpha.wpdev.localhost"));
}

TEST_F(Lifecycle, WithoutRootTenantsShareTheUserAndStatusSaysSo) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run the binary as another user";
  const uid_t nobody = 65534;
  write_fleet({"alpha", "beta"});
  ASSERT_EQ(chown(dir_.path().c_str(), nobody, nobody), 0);
  ASSERT_EQ(chown(fleet().c_str(), nobody, nobody), 0);
  auto as_nobody = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-f", fleet().string()});
    return run_wpfleet(args, "", nobody);
  };
  ASSERT_EQ(as_nobody({"up"}).exit_code, 0);
  CliResult apply = as_nobody({"apply", "--yes"});
  EXPECT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_TRUE(answers("alpha.wpdev.localhost"));
  CliResult status = as_nobody({"status"});
  EXPECT_NE(status.out.find("isolated by open_basedir alone"), std::string::npos) << status.out;
  destroy_fleet(fleet(), nobody);
}

}  // namespace
}  // namespace wpfleet::testing
