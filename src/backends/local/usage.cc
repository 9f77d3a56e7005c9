#include "backends/local/usage.h"

#include <pwd.h>

#include <ctime>
#include <fstream>

#include "backends/local/database.h"
#include "backends/local/names.h"
#include "util/safe_tree.h"

namespace wpfleet::local {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kDay = 86400;

// The month's requests and bytes from the tenant's public access log (combined format),
// the log's span, and the last request inside the idle window.
void read_access_log(const fs::path& log, const cost::Month& month, std::int64_t window_start,
                     std::int64_t today, TenantUsage& usage) {
  std::ifstream in(log);
  std::int64_t last_request = -1;
  for (std::string line; std::getline(in, line);) {
    const std::int64_t when = access_log_time(line);
    if (when < 0) continue;
    if (usage.log_first == 0) usage.log_first = when;
    usage.log_last = when;
    if (when >= window_start) last_request = when;
    if (when < month.start_unix() || when >= month.end_unix()) continue;
    usage.requests += 1;
    // ... "GET / HTTP/1.1" 200 5123 "referer" "agent": the bytes follow the status.
    const auto request_end = line.find("\" ", line.find('"') + 1);
    if (request_end == std::string::npos) continue;
    const auto bytes_at = line.find(' ', request_end + 2);
    if (bytes_at != std::string::npos) usage.bytes_sent += std::strtod(line.c_str() + bytes_at + 1, nullptr);
  }
  if (last_request >= 0) usage.days_since_request = static_cast<int>((today - last_request / kDay * kDay) / kDay);
}

// The month's PHP requests and their durations from the pool's access log (written by
// php-fpm's master, in the root-owned log/ directory).
void read_pool_log(const fs::path& log, const cost::Month& month, TenantUsage& usage) {
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    const PoolLogLine parsed = parse_pool_log_line(line);
    if (parsed.time < month.start_unix() || parsed.time >= month.end_unix()) continue;
    usage.php_requests += 1;
    usage.php_seconds += parsed.seconds;
  }
}

// wp-content's regular files, walked by descriptor: the tree is the tenant's.
Result<double> file_bytes(const fs::path& site_dir) {
  TRY_ASSIGN(UniqueFd site, open_dir(site_dir));
  TRY_ASSIGN(UniqueFd content, open_dir_beneath(site.get(), "wp-content"));
  double bytes = 0;
  TRY(walk_tree(content.get(), [&](const TreeEntry& entry) -> Status {
    if (S_ISREG(entry.st.st_mode)) bytes += static_cast<double>(entry.st.st_size);
    return {};
  }));
  return bytes;
}

// The resident memory of every process of `uid` now (its PHP workers, and any php-cli
// run of its code).
double resident_bytes_of(uid_t uid) {
  double bytes = 0;
  std::error_code ec;
  for (const auto& proc : fs::directory_iterator("/proc", ec)) {
    std::ifstream status(proc.path() / "status");
    bool mine = false;
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("Uid:")) mine = std::strtoul(line.c_str() + 4, nullptr, 10) == uid;
      if (mine && line.starts_with("VmRSS:")) bytes += std::strtod(line.c_str() + 6, nullptr) * 1024;
    }
  }
  return bytes;
}

}  // namespace

PoolLogLine parse_pool_log_line(const std::string& line) {
  PoolLogLine out;
  std::tm tm{};
  const char* end = strptime(line.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return out;
  const int zone = std::atoi(end);  // "+0000"
  out.time = static_cast<std::int64_t>(timegm(&tm)) - ((zone / 100) * 3600 + (zone % 100) * 60);
  const auto last = line.find_last_of(' ');
  if (last != std::string::npos && line.ends_with("ms")) {
    out.seconds = std::strtod(line.c_str() + last + 1, nullptr) / 1000;
  }
  return out;
}

std::int64_t access_log_time(const std::string& line) {
  const auto open = line.find('[');
  if (open == std::string::npos) return -1;
  std::tm tm{};
  const char* end = strptime(line.c_str() + open + 1, "%d/%b/%Y:%H:%M:%S", &tm);
  if (end == nullptr || *end != ' ') return -1;
  // The zone: "+0200" means local time is two hours ahead of UTC.
  const int zone = std::atoi(end + 1);
  const int offset = (zone / 100) * 3600 + (zone % 100) * 60;
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

Result<std::vector<TenantUsage>> read_usage(BackendContext& ctx, const Environment& env,
                                            const std::vector<std::string>& tenants,
                                            const cost::Month& month, std::int64_t now,
                                            int idle_days) {
  const std::int64_t today = now / kDay * kDay;
  const std::int64_t window_start = today - (idle_days - 1) * kDay;
  TRY_ASSIGN(auto root, connect_as_root(ctx));
  std::vector<TenantUsage> out;
  for (const auto& tenant : tenants) {
    TenantUsage usage;
    usage.tenant = tenant;
    read_access_log(ctx.layout.nginx_log_dir() / (pool_name(env.name, tenant) + ".access.log"), month,
                    window_start, today, usage);
    TRY_ASSIGN(auto rows, root->query(
                              "SELECT COALESCE(SUM(data_length + index_length), 0) FROM "
                              "information_schema.TABLES WHERE table_schema = " +
                              root->quote(database_name(env.name, tenant))));
    if (!rows.empty() && !rows[0].empty() && rows[0][0]) usage.database_bytes = std::strtod(rows[0][0]->c_str(), nullptr);
    const fs::path site = ctx.layout.site_dir(env.name, tenant);
    read_pool_log(site / "log" / "php-access.log", month, usage);
    if (fs::exists(site / "wp-content")) {
      TRY_ASSIGN(usage.file_bytes, file_bytes(site));
    }
    if (const passwd* user = ::getpwnam(unix_user(ctx.layout, env.name, tenant).c_str())) {
      usage.memory_bytes = resident_bytes_of(user->pw_uid);
    }
    out.push_back(std::move(usage));
  }
  return out;
}

}  // namespace wpfleet::local
