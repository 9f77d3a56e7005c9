#include "backends/aws/cloudwatch_logs.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "backends/aws/names.h"

namespace wpfleet::aws_backend {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The streams of the tenant's containers ("<tenant>/wordpress/<task id>") read as one
// log through FilterLogEvents, which interleaves them by time.
class ContainerLogReader : public LogReader {
 public:
  ContainerLogReader(SharedPlatforms platforms, Environment env, std::string stream_prefix,
                     std::string filter_pattern)
      : platforms_(std::move(platforms)),
        env_(std::move(env)),
        prefix_(std::move(stream_prefix)),
        filter_(std::move(filter_pattern)) {}

  // FilterLogEvents pages forward in time and a read stops after ten pages, so the last
  // lines are those of the shortest recent window that holds enough: five minutes first
  // (on a busy log a day would hold more than ten pages, and they would be its oldest),
  // widened to an hour, a day, a week.
  Result<std::vector<std::string>> last_lines(std::size_t count) override {
    constexpr std::int64_t kMinute = 60'000;
    std::vector<std::string> lines;
    for (std::int64_t window : {5 * kMinute, 60 * kMinute, 24 * 60 * kMinute, 7 * 24 * 60 * kMinute}) {
      TRY_ASSIGN(lines, read_since(now_ms() - window, nullptr));
      if (lines.size() >= count) break;
    }
    if (lines.size() > count) lines.erase(lines.begin(), lines.end() - static_cast<long>(count));
    return lines;
  }

  Result<std::vector<std::string>> new_lines() override {
    std::lock_guard lock(mutex_);
    if (cursor_ == 0) {
      cursor_ = now_ms();
      return std::vector<std::string>{};
    }
    std::int64_t newest = cursor_;
    TRY_ASSIGN(auto lines, read_since(cursor_, &newest));
    cursor_ = newest + 1;
    return lines;
  }

 private:
  Result<std::vector<std::string>> read_since(std::int64_t start_ms, std::int64_t* newest) {
    TRY_ASSIGN(aws::Client * client, platforms_->client(env_));
    std::vector<std::string> lines;
    nlohmann::json input = {{"logGroupName", env_.aws->log_group},
                            {"logStreamNamePrefix", prefix_},
                            {"startTime", start_ms},
                            {"interleaved", true}};
    if (!filter_.empty()) input["filterPattern"] = filter_;
    // A busy log has many pages; ten (up to 10,000 events) are plenty for a tail.
    for (int page = 0; page < 10; ++page) {
      auto answer = client->json(aws::kLogs, "FilterLogEvents", input);
      if (!answer && answer.error().code == "ResourceNotFoundException") return lines;
      TRY(answer);
      for (const auto& event : answer->value("events", nlohmann::json::array())) {
        std::string message = event.value("message", "");
        while (!message.empty() && message.back() == '\n') message.pop_back();
        lines.push_back(std::move(message));
        if (newest) *newest = std::max(*newest, event.value("timestamp", std::int64_t{0}));
      }
      // moto answers "nextToken": null on the last page; AWS leaves it out.
      const auto next = answer->find("nextToken");
      if (next == answer->end() || !next->is_string() || next->get<std::string>().empty()) break;
      input["nextToken"] = *next;
    }
    return lines;
  }

  SharedPlatforms platforms_;
  Environment env_;
  std::string prefix_;
  std::string filter_;  // CloudWatch's filter pattern syntax; empty = every line
  std::mutex mutex_;
  std::int64_t cursor_ = 0;
};

}  // namespace

std::vector<LogSource> container_log_sources(const SharedPlatforms& platforms,
                                             const TenantContext& ctx) {
  const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
  const std::string prefix = names.log_prefix + "/" + names.container + "/";
  const std::string where = (ctx.env.aws ? ctx.env.aws->log_group : "") + " " + prefix + "*";
  // What PHP and Apache call their error lines ("PHP Fatal error", "[php:error]", ...).
  const std::string errors = R"(?error ?Error ?ERROR ?Fatal ?"PHP Warning")";
  return {{"container", where, std::make_shared<ContainerLogReader>(platforms, ctx.env, prefix, "")},
          {"container-error", where,
           std::make_shared<ContainerLogReader>(platforms, ctx.env, prefix, errors)}};
}

}  // namespace wpfleet::aws_backend
