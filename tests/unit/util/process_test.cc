#include "util/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace wpfleet {
namespace {

using namespace std::chrono_literals;

CommandSpec command(std::vector<std::string> argv) {
  CommandSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

CommandSpec with_timeout(CommandSpec spec, std::chrono::milliseconds timeout) {
  spec.timeout = timeout;
  return spec;
}

class ProcessTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wpfleet-process-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }

  // Polls for up to two seconds: an orphan is reaped by init asynchronously.
  static bool becomes_dead(pid_t pid) {
    for (int i = 0; i < 200; ++i) {
      if (!process_alive(pid)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::filesystem::path dir_;
};

TEST_F(ProcessTest, CapturesStdoutAndStderrSeparately) {
  auto result = run_command(command({"sh", "-c", "echo to-out; echo to-err >&2"}));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->out, "to-out\n");
  EXPECT_EQ(result->err, "to-err\n");
}

TEST_F(ProcessTest, LargeOutputOnBothStreamsDoesNotDeadlock) {
  // Far beyond a 64 KiB pipe buffer on both streams, stderr written first.
  std::string script =
      "head -c 300000 /dev/zero | tr '\\0' e >&2; head -c 300000 /dev/zero | tr '\\0' o";
  auto result = run_command(with_timeout(command({"sh", "-c", script}), 20s));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->out, std::string(300000, 'o'));
  EXPECT_EQ(result->err, std::string(300000, 'e'));
}

TEST_F(ProcessTest, DeliversStdinWhileReadingOutput) {
  // cat echoes as it reads, so input and output pipes both fill at once.
  std::string input(1 << 20, 'x');
  CommandSpec spec = with_timeout(command({"cat"}), 20s);
  spec.stdin_data = input;
  auto result = run_command(spec);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->out, input);
}

TEST_F(ProcessTest, InputIsDeliveredAfterTheChildClosesItsOutput) {
  std::filesystem::path copy = dir_ / "copy";
  std::string input(300000, 'i');
  CommandSpec spec =
      with_timeout(command({"sh", "-c", "exec >&- 2>&-; cat > " + copy.string()}), 20s);
  spec.stdin_data = input;
  auto result = run_command(spec);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(slurp(copy), input);
}

TEST_F(ProcessTest, ChildThatIgnoresItsInputDoesNotKillTheParent) {
  CommandSpec spec = command({"true"});
  spec.stdin_data = std::string(1 << 20, 'x');
  auto result = run_command(spec);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_code, 0);
}

TEST_F(ProcessTest, ChildWithoutInputSeesEndOfFile) {
  auto result = run_command(with_timeout(command({"cat"}), 5s));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->out, "");
}

TEST_F(ProcessTest, NonZeroExitIsAValueNotAnError) {
  auto result = run_command(command({"sh", "-c", "echo failing >&2; exit 3"}));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->err, "failing\n");
}

TEST_F(ProcessTest, KilledBySignalHasExitCodeMinusOne) {
  auto result = run_command(command({"sh", "-c", "kill -TERM $$"}));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_code, -1);
}

TEST_F(ProcessTest, MissingProgramIsAnError) {
  auto result = run_command(command({"wpfleet-no-such-program"}));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("cannot run wpfleet-no-such-program: not found"),
            std::string::npos)
      << result.error().message;
}

TEST_F(ProcessTest, ExecFailureIsReportedFromTheChild) {
  // Executable bits but no valid format: execve itself fails (ENOEXEC) in the child.
  std::filesystem::path bogus = dir_ / "bogus";
  std::ofstream(bogus) << "\x01\x02\x03 not a program";
  std::filesystem::permissions(bogus, std::filesystem::perms::owner_all);
  auto result = run_command(command({bogus.string()}));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("cannot run " + bogus.string()), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("Exec format error"), std::string::npos)
      << result.error().message;
}

TEST_F(ProcessTest, TimeoutKillsTheChildAndNamesTheCommand) {
  auto started = std::chrono::steady_clock::now();
  auto result = run_command(with_timeout(command({"sleep", "30"}), 300ms));
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("sleep"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("300ms"), std::string::npos) << result.error().message;
  EXPECT_LT(elapsed, 10s);
}

TEST_F(ProcessTest, TimeoutKillsTheWholeProcessGroup) {
  std::filesystem::path pid_file = dir_ / "grandchild.pid";
  std::string script = "sleep 30 & echo $! > " + pid_file.string() + "; wait";
  auto result = run_command(with_timeout(command({"sh", "-c", script}), 500ms));
  ASSERT_FALSE(result.ok());
  pid_t grandchild = std::stoi(slurp(pid_file));
  EXPECT_TRUE(becomes_dead(grandchild));
}

TEST_F(ProcessTest, ClearEnvKeepsOnlyPathAndGivenVariables) {
  ::setenv("WPFLEET_TEST_INHERITED", "yes", 1);
  CommandSpec spec = command({"env"});
  spec.env = {{"ONLY", "1"}};
  spec.clear_env = true;
  auto result = run_command(spec);
  ::unsetenv("WPFLEET_TEST_INHERITED");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->out.find("WPFLEET_TEST_INHERITED"), std::string::npos) << result->out;
  EXPECT_NE(result->out.find("ONLY=1\n"), std::string::npos) << result->out;
  EXPECT_NE(result->out.find("PATH=/"), std::string::npos) << result->out;
  EXPECT_EQ(std::count(result->out.begin(), result->out.end(), '\n'), 2) << result->out;
}

TEST_F(ProcessTest, InheritedEnvironmentIsOverriddenBySpecEnv) {
  ::setenv("WPFLEET_TEST_INHERITED", "yes", 1);
  ::setenv("WPFLEET_TEST_OVERRIDDEN", "old", 1);
  CommandSpec spec = command({"env"});
  spec.env = {{"WPFLEET_TEST_OVERRIDDEN", "new"}};
  auto result = run_command(spec);
  ::unsetenv("WPFLEET_TEST_INHERITED");
  ::unsetenv("WPFLEET_TEST_OVERRIDDEN");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_NE(result->out.find("WPFLEET_TEST_INHERITED=yes\n"), std::string::npos);
  EXPECT_NE(result->out.find("WPFLEET_TEST_OVERRIDDEN=new\n"), std::string::npos);
  EXPECT_EQ(result->out.find("WPFLEET_TEST_OVERRIDDEN=old"), std::string::npos);
}

TEST_F(ProcessTest, RunsInTheGivenDirectory) {
  CommandSpec spec = command({"pwd"});
  spec.cwd = dir_.string();
  auto result = run_command(spec);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->out, std::filesystem::canonical(dir_).string() + "\n");
}

TEST_F(ProcessTest, MissingDirectoryIsAnError) {
  std::string missing = (dir_ / "missing").string();
  CommandSpec spec = command({"pwd"});
  spec.cwd = missing;
  auto result = run_command(spec);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find(missing), std::string::npos) << result.error().message;
}

TEST_F(ProcessTest, RunAsDropsToTheGivenUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  CommandSpec spec = command({"id", "-u"});
  spec.run_as = RunAs{65534, 65534};
  auto result = run_command(spec);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->out, "65534\n");
  spec.argv = {"id", "-G"};
  auto groups = run_command(spec);
  ASSERT_TRUE(groups.ok()) << groups.error().message;
  EXPECT_EQ(groups->out, "65534\n");
}

TEST_F(ProcessTest, SpawnedChildLogsAndDiesWhenKilled) {
  std::filesystem::path log = dir_ / "child.log";
  std::ofstream(log) << "earlier line\n";
  auto spawned = spawn_child(command({"sh", "-c", "echo started; echo warned >&2; exec sleep 30"}),
                             log.string());
  ASSERT_TRUE(spawned.ok()) << spawned.error().message;
  pid_t pid = *spawned;
  EXPECT_TRUE(process_alive(pid));
  EXPECT_EQ(::getsid(pid), pid) << "the child leads its own session";

  for (int i = 0; i < 200 && slurp(log).find("warned") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  std::string logged = slurp(log);
  EXPECT_EQ(logged.rfind("earlier line\n", 0), 0u) << "the log is appended to";
  EXPECT_NE(logged.find("started\n"), std::string::npos) << logged;
  EXPECT_NE(logged.find("warned\n"), std::string::npos) << logged;

  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_TRUE(becomes_dead(pid)) << "a killed but unreaped child is a zombie, not alive";
  EXPECT_EQ(::waitpid(pid, nullptr, 0), pid);
  EXPECT_FALSE(process_alive(pid));
}

TEST_F(ProcessTest, ZombieIsNotAlive) {
  auto spawned = spawn_child(command({"true"}), (dir_ / "log").string());
  ASSERT_TRUE(spawned.ok()) << spawned.error().message;
  EXPECT_TRUE(becomes_dead(*spawned)) << "exited but not yet reaped";
  ::waitpid(*spawned, nullptr, 0);
}

TEST_F(ProcessTest, SpawnMissingProgramIsAnError) {
  auto spawned = spawn_child(command({"wpfleet-no-such-program"}), (dir_ / "log").string());
  ASSERT_FALSE(spawned.ok());
  EXPECT_NE(spawned.error().message.find("not found"), std::string::npos);
}

TEST_F(ProcessTest, SpawnReportsAnUnwritableLog) {
  std::string log = (dir_ / "no-such-dir" / "log").string();
  auto spawned = spawn_child(command({"true"}), log);
  ASSERT_FALSE(spawned.ok());
  EXPECT_NE(spawned.error().message.find(log), std::string::npos) << spawned.error().message;
}

TEST_F(ProcessTest, SpawnedLogIsCreatedWithRestrictedMode) {
  std::filesystem::path log = dir_ / "fresh.log";
  mode_t old_umask = ::umask(0);
  auto spawned = spawn_child(command({"true"}), log.string());
  ::umask(old_umask);
  ASSERT_TRUE(spawned.ok()) << spawned.error().message;
  ::waitpid(*spawned, nullptr, 0);
  struct stat st;
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(ProcessTest, FindExecutableSearchesSbinEvenWhenPathLacksIt) {
  std::string saved_path = std::getenv("PATH");
  ::setenv("PATH", "/usr/bin:/bin", 1);
  std::optional<std::string> ldconfig = find_executable("ldconfig");  // lives in sbin
  std::optional<std::string> sh = find_executable("sh");
  ::setenv("PATH", saved_path.c_str(), 1);
  ASSERT_TRUE(ldconfig.has_value());
  EXPECT_TRUE(ldconfig->ends_with("sbin/ldconfig")) << *ldconfig;
  ASSERT_TRUE(sh.has_value());
  EXPECT_EQ(sh->front(), '/');
  EXPECT_FALSE(find_executable("wpfleet-no-such-program").has_value());
  EXPECT_FALSE(find_executable((dir_ / "absent").string()).has_value());
}

TEST_F(ProcessTest, ProcessAliveRejectsNonPositivePids) {
  EXPECT_FALSE(process_alive(0));
  EXPECT_FALSE(process_alive(-1));
  EXPECT_TRUE(process_alive(::getpid()));
}

}  // namespace
}  // namespace wpfleet

namespace wpfleet {
namespace {

TEST(StreamingChildTest, StreamsThroughStdinAndStdout) {
  CommandSpec spec;
  spec.argv = {"cat"};
  auto child = StreamingChild::start(spec, true, true);
  ASSERT_TRUE(child.ok()) << child.error().message;
  const std::string input(3 * 1024 * 1024, 'x');  // far more than a pipe holds
  std::thread writer([&] {
    EXPECT_TRUE(child->write(input));
    child->close_stdin();
  });
  std::string output;
  char buffer[65536];
  for (long n; (n = child->read(buffer, sizeof buffer)) > 0;) output.append(buffer, n);
  writer.join();
  EXPECT_TRUE(child->finish().ok());
  EXPECT_EQ(output, input);
}

TEST(StreamingChildTest, FailureNamesTheProgramAndItsErrors) {
  CommandSpec spec;
  spec.argv = {"sh", "-c", "echo 'table is missing' >&2; exit 3"};
  auto child = StreamingChild::start(spec, false, true);
  ASSERT_TRUE(child.ok());
  char buffer[16];
  EXPECT_EQ(child->read(buffer, sizeof buffer), 0);
  Status finished = child->finish();
  ASSERT_FALSE(finished.ok());
  EXPECT_NE(finished.error().message.find("sh failed (exit 3)"), std::string::npos);
  EXPECT_NE(finished.error().message.find("table is missing"), std::string::npos);
}

TEST(StreamingChildTest, WritingToAChildThatStoppedReadingFailsWithoutKillingUs) {
  CommandSpec spec;
  spec.argv = {"true"};
  auto child = StreamingChild::start(spec, true, false);
  ASSERT_TRUE(child.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(child->write(std::string(1 << 20, 'x')));
  EXPECT_TRUE(child->finish().ok());
}

}  // namespace
}  // namespace wpfleet
