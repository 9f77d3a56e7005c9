// The watcher against a real platform: `wpfleet watch run` records a site going down
// and coming back once each (not once a minute), tells a webhook (a receiver in this
// test, answering as Slack's does) and a command, retries a destination that failed,
// and `wpfleet events` lists what happened.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.h"
#include "util/fs.h"
#include "util/mysql_client.h"

namespace wpfleet::testing {
namespace {

using nlohmann::json;

// An incoming-webhook endpoint on loopback: keeps each POST's JSON body and answers
// 200 "ok" (or 500 while told to fail).
class WebhookReceiver {
 public:
  WebhookReceiver() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    ::listen(listener_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~WebhookReceiver() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/services/T0/B0/x"; }
  void fail_requests(bool fail) { failing_ = fail; }
  std::vector<json> received() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  void serve() {
    while (!stopping_) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::string request;
      char buffer[4096];
      std::size_t wanted = std::string::npos;
      while (wanted == std::string::npos || request.size() < wanted) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        request.append(buffer, static_cast<std::size_t>(n));
        const auto end = request.find("\r\n\r\n");
        const auto length = request.find("Content-Length: ");
        if (end != std::string::npos && length != std::string::npos) {
          wanted = end + 4 + std::stoul(request.substr(length + 16));
        }
      }
      const auto end = request.find("\r\n\r\n");
      const bool failing = failing_;
      if (!failing && end != std::string::npos) {
        std::lock_guard lock(mutex_);
        bodies_.push_back(json::parse(request.substr(end + 4), nullptr, false));
      }
      const std::string answer = failing ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
                                         : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      (void)!::write(fd, answer.data(), answer.size());
      ::close(fd);
    }
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failing_{false};
  std::mutex mutex_;
  std::vector<json> bodies_;
};

class Watch : public FleetSuite {
 protected:
  static void SetUpTestSuite() {
    receiver_ = new WebhookReceiver();
    command_log_ = new TempDir();
    const std::string alerts = "alerts = [{ webhook = \"" + receiver_->url() +
                               "\" }, { command = \"cat >> " +
                               (command_log_->path() / "alerts.jsonl").string() + "\" }]\n";
    start_fleet(alerts + test_fleet(free_port(), {"alpha", "beta"}));
  }
  static void TearDownTestSuite() {
    FleetSuite::TearDownTestSuite();
    delete receiver_;
    delete command_log_;
  }
  static json watch_run() {
    CliResult run = wpfleet({"watch", "run", "--output", "json"});
    EXPECT_NE(run.exit_code, 3) << run.err;
    return json::parse(run.out, nullptr, false);
  }
  static std::vector<json> command_alerts() {
    std::vector<json> out;
    auto text = read_file(command_log_->path() / "alerts.jsonl");
    if (!text) return out;
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) out.push_back(json::parse(line, nullptr, false));
    return out;
  }
  static void break_alpha(bool broken) {
    auto root = mariadb_root(state());
    ASSERT_TRUE(root.ok()) << root.error().message;
    const std::string grant = broken ? "REVOKE ALL PRIVILEGES ON `dev\\_alpha\\_db`.* FROM "
                                     : "GRANT ALL PRIVILEGES ON `dev\\_alpha\\_db`.* TO ";
    ASSERT_TRUE((*root)->execute(grant + "'dev_alpha_user'@'localhost'").ok());
  }
  static inline WebhookReceiver* receiver_ = nullptr;
  static inline TempDir* command_log_ = nullptr;
};

TEST_F(Watch, ADownSiteIsToldOnceAndItsRecoveryClosesIt) {
  json first = watch_run();
  ASSERT_TRUE(first.is_object());
  EXPECT_TRUE(first["changes"].empty()) << first.dump();  // all up: nothing to tell
  EXPECT_GE(first["watched"].get<int>(), 3);              // two sites and the disk

  break_alpha(true);
  json down = watch_run();
  ASSERT_EQ(down["changes"].size(), 1u) << down.dump();
  EXPECT_EQ(down["changes"][0]["subject"], "dev/alpha");
  EXPECT_EQ(down["changes"][0]["state"], "down");
  EXPECT_NE(down["changes"][0]["reason"].get<std::string>().find("database"), std::string::npos);
  EXPECT_TRUE(watch_run()["changes"].empty());  // still down: no second alert

  auto webhook = receiver_->received();
  ASSERT_EQ(webhook.size(), 1u);
  EXPECT_TRUE(webhook[0]["text"].get<std::string>().starts_with("wpfleet: DOWN dev/alpha: "))
      << webhook[0].dump();
  EXPECT_NE(webhook[0]["text"].get<std::string>().find("database: "), std::string::npos);
  EXPECT_EQ(webhook[0]["event"]["state"], "down");
  auto commanded = command_alerts();
  ASSERT_EQ(commanded.size(), 1u);
  EXPECT_EQ(commanded[0]["event"]["subject"], "dev/alpha");

  break_alpha(false);
  json up = watch_run();
  ASSERT_EQ(up["changes"].size(), 1u) << up.dump();
  EXPECT_EQ(up["changes"][0]["state"], "up");
  webhook = receiver_->received();
  ASSERT_EQ(webhook.size(), 2u);
  EXPECT_TRUE(webhook[1]["text"].get<std::string>().starts_with("wpfleet: RECOVERED dev/alpha (after "))
      << webhook[1].dump();
  EXPECT_EQ(command_alerts().size(), 2u);

  CliResult events = wpfleet({"events", "--since", "1h", "--output", "json"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  const json listed = json::parse(events.out)["events"];
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["state"], "down");
  EXPECT_EQ(listed[0]["alerts_sent"], 2);
  EXPECT_EQ(listed[1]["state"], "up");
  CliResult table = wpfleet({"events"});
  EXPECT_NE(table.out.find("dev/alpha"), std::string::npos) << table.out;
}

TEST_F(Watch, AFailedWebhookIsTriedAgainNextRun) {
  receiver_->fail_requests(true);
  const std::size_t before = receiver_->received().size();
  break_alpha(true);
  CliResult run = wpfleet({"watch", "run"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("the webhook answered HTTP 500"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("DOWN dev/alpha"), std::string::npos) << run.out;

  receiver_->fail_requests(false);
  break_alpha(false);
  json next = watch_run();  // tells the old DOWN, then the recovery
  EXPECT_TRUE(next["failed_alerts"].empty()) << next.dump();
  const auto webhook = receiver_->received();
  ASSERT_EQ(webhook.size(), before + 2);
  EXPECT_EQ(webhook[before]["event"]["state"], "down");
  EXPECT_EQ(webhook[before + 1]["event"]["state"], "up");
}

TEST_F(Watch, TheSupervisorsRunWatchesTheAppliedFleet) {
  // Run as the supervisor does: the state directory only.
  CliResult run = run_wpfleet({"watch", "run", "--applied-fleet", "--state-dir",
                               state().string(), "--output", "json"}, "/");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_GE(json::parse(run.out)["watched"].get<int>(), 3);
}

TEST_F(Watch, BadSinceIsAClearError) {
  CliResult bad = wpfleet({"events", "--since", "yesterday"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("e.g. --since 1h"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace wpfleet::testing
