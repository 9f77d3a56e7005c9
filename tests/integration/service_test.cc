// `wpfleet service install|remove`: the systemd unit that brings the platform back after
// a reboot, checked by systemd's own verifier (this machine runs no systemd, so the unit
// is verified, not started).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness.h"
#include "util/fs.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;

class Service : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(fleet_dir());
    ASSERT_TRUE(write_file_atomic(fleet(), test_fleet(free_port(), {"alpha"})).ok());
  }
  fs::path fleet_dir() const { return dir_.path() / "Shop Fleet"; }
  fs::path fleet() const { return fleet_dir() / "fleet.toml"; }
  fs::path units() const { return dir_.path() / "units"; }
  fs::path unit() const { return units() / "wpfleet-shop-fleet.service"; }
  fs::path boot_link() const {
    return units() / "multi-user.target.wants" / "wpfleet-shop-fleet.service";
  }
  CliResult wpfleet(std::vector<std::string> args, const fs::path& fleet_file = {}) const {
    args.insert(args.end(), {"--unit-dir", units().string()});
    args.insert(args.begin(), {"-f", (fleet_file.empty() ? fleet() : fleet_file).string()});
    return run_wpfleet(args);
  }

  TempDir dir_;
};

// systemd-analyze's verdict on a unit file: its exit code and whatever it said.
CliResult systemd_verify(const fs::path& unit) {
  CommandSpec spec;
  spec.argv = {"systemd-analyze", "verify", unit.string()};
  auto ran = run_command(spec);
  EXPECT_TRUE(ran.ok()) << "systemd-analyze (Debian package systemd) is needed: "
                        << (ran.ok() ? "" : ran.error().message);
  if (!ran.ok()) return {};
  return {ran->exit_code, ran->out, ran->err};
}

TEST_F(Service, InstallWritesAUnitSystemdAcceptsAndEnablesItAtBoot) {
  CliResult installed = wpfleet({"service", "install"});
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  EXPECT_NE(installed.out.find("wrote " + unit().string()), std::string::npos) << installed.out;
  EXPECT_NE(installed.err.find("systemctl start wpfleet-shop-fleet"), std::string::npos)
      << installed.err;

  const std::string text = read_file(unit()).value();
  const std::string command = "\"" + fs::canonical(WPFLEET_BINARY).string() + "\" -f \"" +
                              fleet().string() + "\" --state-dir \"" +
                              (fleet_dir() / ".wpfleet").string() + "\"";
  for (const std::string& line :
       std::vector<std::string>{
           "Type=forking", "ExecStart=" + command + " up", "ExecStop=" + command + " down",
           "PIDFile=" + (fleet_dir() / ".wpfleet" / "run" / "supervisor.pid").string(),
           "Restart=on-failure", "After=network.target", "WantedBy=multi-user.target"}) {
    EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << line << " in\n" << text;
  }
  EXPECT_EQ(fs::status(unit()).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
  ASSERT_TRUE(fs::is_symlink(boot_link()));
  EXPECT_EQ(fs::read_symlink(boot_link()), unit());

  CliResult verified = systemd_verify(unit());
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_EQ(verified.err, "") << "systemd-analyze warns about the unit";

  // Again: nothing changes. In JSON: what was written where.
  CliResult again = wpfleet({"service", "install", "--output", "json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto json = nlohmann::json::parse(again.out);
  EXPECT_EQ(json["unit"], "wpfleet-shop-fleet.service");
  EXPECT_EQ(json["path"], unit().string());
  EXPECT_EQ(json["enabled_link"], boot_link().string());
  EXPECT_EQ(json["changed"], false);
  EXPECT_EQ(read_file(unit()).value(), text);

  CliResult removed = wpfleet({"service", "remove"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_FALSE(fs::exists(fs::symlink_status(boot_link())));
  EXPECT_FALSE(fs::exists(unit()));
  CliResult nothing = wpfleet({"service", "remove", "--output", "json"});
  ASSERT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_EQ(nlohmann::json::parse(nothing.out)["removed"], false);
}

TEST_F(Service, AUnitOfAnotherFleetIsNeverReplacedOrRemoved) {
  ASSERT_EQ(wpfleet({"service", "install", "--name", "shop"}).exit_code, 0);
  const fs::path other_dir = dir_.path() / "other";
  fs::create_directories(other_dir);
  ASSERT_TRUE(write_file_atomic(other_dir / "fleet.toml", test_fleet(free_port(), {})).ok());
  const std::string before = read_file(units() / "wpfleet-shop.service").value();

  CliResult clash = wpfleet({"service", "install", "--name", "shop"}, other_dir / "fleet.toml");
  EXPECT_EQ(clash.exit_code, 1);
  EXPECT_NE(clash.err.find("choose another --name"), std::string::npos) << clash.err;
  CliResult wrong_remove = wpfleet({"service", "remove", "--name", "shop"}, other_dir / "fleet.toml");
  EXPECT_EQ(wrong_remove.exit_code, 1);
  EXPECT_EQ(read_file(units() / "wpfleet-shop.service").value(), before);

  // Its own name is free: both fleets come back at boot.
  CliResult other = wpfleet({"service", "install"}, other_dir / "fleet.toml");
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_TRUE(fs::exists(units() / "wpfleet-other.service"));
  EXPECT_EQ(systemd_verify(units() / "wpfleet-other.service").exit_code, 0);
  EXPECT_EQ(wpfleet({"service", "remove"}, other_dir / "fleet.toml").exit_code, 0);
  EXPECT_EQ(wpfleet({"service", "remove", "--name", "shop"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(units() / "wpfleet-shop.service"));
}

TEST_F(Service, BadInputIsRefusedAndNothingIsWritten) {
  CliResult bad_name = wpfleet({"service", "install", "--name", "Shop Fleet"});
  EXPECT_EQ(bad_name.exit_code, 3);
  EXPECT_NE(bad_name.err.find("invalid --name 'Shop Fleet'"), std::string::npos) << bad_name.err;

  // An aws-only fleet has no platform on this machine to start.
  CliResult aws = wpfleet({"service", "install"},
                          fs::path(WPFLEET_SOURCE_DIR) / "examples" / "bbws-aws.toml");
  EXPECT_EQ(aws.exit_code, 3);
  EXPECT_NE(aws.err.find("no local environment"), std::string::npos) << aws.err;

  ASSERT_TRUE(write_file_atomic(fleet(), "[environments.dev]\nbackend = 42\n").ok());
  EXPECT_EQ(wpfleet({"service", "install"}).exit_code, 3);
  EXPECT_FALSE(fs::exists(units()));
}

}  // namespace
}  // namespace wpfleet::testing
