#include "fleet/validate.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <regex>
#include <span>
#include <string>

namespace wpfleet::validate {

namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_or_digit(char c) { return is_lower(c) || is_digit(c); }
bool is_label_char(char c) { return is_lower_or_digit(c) || c == '-'; }
bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

template <class List>
bool contains(const List& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// What characters a kind of name may hold where, and how long it may be.
struct NameRule {
  std::size_t max_length;
  bool (*first)(char);
  bool (*middle)(char);
  bool (*last)(char);
};

// Environment names end up inside file, database and Unix user names, so they stay plain.
constexpr NameRule kEnvironmentNameRule{16, is_lower, is_lower_or_digit, is_lower_or_digit};
// Tenant ids and host name labels are DNS labels: letters, digits and inner dashes.
constexpr NameRule kTenantIdRule{kMaxTenantIdLength, is_lower_or_digit, is_label_char,
                                 is_lower_or_digit};
constexpr NameRule kHostLabelRule{63, is_lower_or_digit, is_label_char, is_lower_or_digit};
constexpr std::size_t kMaxHostNameLength = 253;
constexpr std::size_t kMaxTitleLength = 200;

std::string describe(char c) {
  if (c == ' ') return "a space";
  if (c > ' ' && c < 0x7f) return fmt::format("'{}'", c);
  return "a non-ASCII or control character";
}

// Why `name` breaks `rule`, as a phrase such as "contains '_'"; nothing if it does not.
std::optional<std::string> name_problem(std::string_view name, const NameRule& rule) {
  if (name.empty()) return "is empty";
  if (name.size() > rule.max_length) {
    return fmt::format("has {} characters (at most {})", name.size(), rule.max_length);
  }
  if (auto bad = std::find_if_not(name.begin(), name.end(), rule.middle); bad != name.end()) {
    return "contains " + describe(*bad);
  }
  if (!rule.first(name.front())) return "starts with " + describe(name.front());
  if (!rule.last(name.back())) return "ends with " + describe(name.back());
  return std::nullopt;
}

// Why `host` is not a lowercase DNS host name, as a clause; nothing if it is one.
std::optional<std::string> host_name_problem(std::string_view host) {
  if (host.empty()) return "it is empty";
  if (host.size() > kMaxHostNameLength) {
    return fmt::format("it has {} characters (at most {})", host.size(), kMaxHostNameLength);
  }
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t end = std::min(host.find('.', start), host.size());
    std::string_view label = host.substr(start, end - start);
    if (label.empty()) return "it has an empty label (look for '..' or a dot at either end)";
    if (auto why = name_problem(label, kHostLabelRule)) {
      return fmt::format("label '{}' {}", label, *why);
    }
    start = end + 1;
  }
  return std::nullopt;
}

// A host name the file gives as `what` (an alias, a tenant's domain).
Status host_name_value(std::string_view what, std::string_view host, std::string_view example) {
  if (auto why = host_name_problem(host)) {
    return make_error(fmt::format(
        "{} '{}' is not a valid host name: {}; use lowercase letters, digits, '-' and '.', "
        "e.g. \"{}\"",
        what, host, *why, example));
  }
  return {};
}

// Why `email` is not a plausible address; the full RFC 5322 grammar would accept typos.
std::optional<std::string> email_problem(std::string_view email) {
  if (email.find_first_of(" \t\r\n") != std::string_view::npos) return "contains a space";
  if (std::count(email.begin(), email.end(), '@') != 1) return "must contain exactly one '@'";
  std::size_t at = email.find('@');
  if (at == 0) return "has nothing before '@'";
  std::string_view domain = email.substr(at + 1);
  std::size_t dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') {
    return "has no domain with a dot after '@'";
  }
  return std::nullopt;
}

std::size_t count_occurrences(std::string_view text, std::string_view part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

std::size_t count_characters(std::string_view utf8) {
  return std::count_if(utf8.begin(), utf8.end(), [](char c) { return (c & 0xC0) != 0x80; });
}

std::string quoted_alternatives(const auto& names) {
  std::string text;
  for (std::string_view name : names) {
    text += (text.empty() ? "\"" : " or \"") + std::string(name) + "\"";
  }
  return text;
}

// A whole number written with digits only (no sign, no spaces).
std::optional<std::int64_t> parse_count(std::string_view digits) {
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), is_digit)) return std::nullopt;
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

struct SizeUnit {
  std::string_view suffix;
  std::int64_t mb;
};

// A whole number followed by one of `units`' suffixes, in megabytes.
std::optional<std::int64_t> parse_size_mb(std::string_view size, std::span<const SizeUnit> units) {
  for (const auto& [suffix, unit] : units) {
    if (!size.ends_with(suffix)) continue;
    auto count = parse_count(size.substr(0, size.size() - suffix.size()));
    if (!count) return std::nullopt;
    // Saturate rather than overflow: a size this large fails the range check anyway.
    constexpr std::int64_t kLargest = std::numeric_limits<std::int64_t>::max();
    return *count <= kLargest / unit ? *count * unit : kLargest;
  }
  return std::nullopt;
}

// A size such as "256M" or "2G", in megabytes.
std::optional<std::int64_t> parse_megabytes(std::string_view size) {
  constexpr SizeUnit kUnits[] = {{"M", 1}, {"G", 1024}};
  return parse_size_mb(size, kUnits);
}

std::string show_number(std::int64_t value) { return std::to_string(value); }
std::string show_megabytes(std::int64_t mb) {
  return mb % 1024 == 0 ? fmt::format("{}G", mb / 1024) : fmt::format("{}M", mb);
}
std::string show_seconds(std::int64_t seconds) { return fmt::format("{}s", seconds); }

// `value` as an int if it lies in [min, max]; values are shown the way the file writes them.
Result<int> in_range(std::string_view key, std::int64_t value, std::int64_t min, std::int64_t max,
                     std::string (*show)(std::int64_t)) {
  if (value < min || value > max) {
    return make_error(fmt::format("{} {} is not within {}..{}; choose a value in that range", key,
                                  show(value), show(min), show(max)));
  }
  return static_cast<int>(value);
}

Result<int> size_mb(std::string_view key, std::string_view size, std::int64_t min_mb,
                    std::int64_t max_mb) {
  auto mb = parse_megabytes(size);
  if (!mb) {
    return make_error(
        fmt::format("{} '{}' is not a size; write a whole number followed by M or G, e.g. \"256M\"",
                    key, size));
  }
  return in_range(key, *mb, min_mb, max_mb, show_megabytes);
}

bool is_listen_host(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  in_addr address{};
  return inet_pton(AF_INET, std::string(host).c_str(), &address) == 1;
}

}  // namespace

Status environment_name(std::string_view name) {
  if (auto why = name_problem(name, kEnvironmentNameRule)) {
    return make_error(fmt::format(
        "environment name '{}' {}; use 1-16 characters: a lowercase letter, then lowercase "
        "letters or digits, e.g. \"dev\"",
        name, *why));
  }
  return {};
}

Status backend(std::string_view name) {
  if (contains(kAvailableBackends, name)) return {};
  return make_error(fmt::format("backend '{}' is not available yet; use {}", name,
                                quoted_alternatives(kAvailableBackends)));
}

Status domain_pattern(std::string_view domain) {
  constexpr std::string_view kFix =
      "write lowercase letters, digits, '-' and '.' around {tenant}, e.g. "
      "\"{tenant}.wpdev.localhost\"";
  if (std::size_t count = count_occurrences(domain, "{tenant}"); count != 1) {
    return make_error(fmt::format(
        "domain '{}' must contain {{tenant}} exactly once, not {} times; {}", domain, count, kFix));
  }
  // Checking with the longest id there can be covers every tenant's host name at once.
  Environment probe;
  probe.domain = domain;
  if (auto why = host_name_problem(probe.host_for(std::string(kMaxTenantIdLength, 'a')))) {
    return make_error(fmt::format(
        "domain '{}' does not make valid host names (checked with a {}-character tenant id): "
        "{}; {}",
        domain, kMaxTenantIdLength, *why, kFix));
  }
  return {};
}

Result<ListenAddress> listen_address(std::string_view text) {
  constexpr std::string_view kFix = "write host:port, e.g. \"127.0.0.1:8080\"";
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return make_error(fmt::format("listen '{}' has no port; {}", text, kFix));
  }
  std::string_view host = text.substr(0, colon);
  if (!is_listen_host(host)) {
    return make_error(fmt::format(
        "listen host '{}' is not an IPv4 address, \"localhost\" or \"[::1]\"; {}", host, kFix));
  }
  std::string_view port_text = text.substr(colon + 1);
  auto port = parse_count(port_text);
  if (!port || *port < 1 || *port > 65535) {
    return make_error(
        fmt::format("listen port '{}' is not a number from 1 to 65535; {}", port_text, kFix));
  }
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(*port)};
}

Result<int> max_children(std::int64_t count) {
  return in_range("max_children", count, 1, 200, show_number);
}

Result<int> memory_limit_mb(std::string_view size) {
  return size_mb("memory_limit", size, 32, 4 * 1024);
}

Result<int> upload_max_mb(std::string_view size) {
  return size_mb("upload_max", size, 1, 2 * 1024);
}

namespace {
Result<int> seconds(std::string_view key, std::string_view duration, std::int64_t max) {
  auto count =
      duration.ends_with('s') ? parse_count(duration.substr(0, duration.size() - 1)) : std::nullopt;
  if (!count) {
    return make_error(fmt::format(
        "{} '{}' is not a duration; write whole seconds followed by s, e.g. \"10s\"", key,
        duration));
  }
  return in_range(key, *count, 1, max, show_seconds);
}
}  // namespace

Result<int> idle_timeout_s(std::string_view duration) {
  return seconds("idle_timeout", duration, 3600);
}

Result<int> page_cache_s(std::string_view duration) {
  return seconds("page_cache", duration, 3600);
}

Status basic_auth_user(std::string_view user) {
  const bool valid = !user.empty() && user.size() <= 64 &&
                     std::all_of(user.begin(), user.end(), [](unsigned char c) {
                       return std::isalnum(c) || c == '-' || c == '_' || c == '.';
                     });
  if (valid) return {};
  return make_error(fmt::format(
      "basic auth user '{}' is not valid; use 1-64 letters, digits, '-', '_' or '.', e.g. "
      "\"bbws-sit\"",
      user));
}

Result<int> backup_every_s(std::string_view duration) {
  const int unit = duration.ends_with('h') ? 3600 : duration.ends_with('d') ? 86400 : 0;
  auto count = unit ? parse_count(duration.substr(0, duration.size() - 1)) : std::nullopt;
  if (!count || *count < 1 || *count * unit > 90 * 86400) {
    return make_error(fmt::format(
        "backup every '{}' is not a duration of 1h to 90d; write hours or days, e.g. \"24h\" or "
        "\"7d\"",
        duration));
  }
  return static_cast<int>(*count * unit);
}

Result<int> backup_keep(std::int64_t count) { return in_range("backup keep", count, 1, 1000, show_number); }

Status backup_destination(std::string_view to) {
  if (to.starts_with("s3://")) {
    const std::string_view path = to.substr(5);
    const std::string_view bucket = path.substr(0, path.find('/'));
    static const std::regex kBucket(kS3BucketPattern);
    if (std::regex_match(bucket.begin(), bucket.end(), kBucket) &&
        to.find_first_of(" \n\\") == std::string_view::npos) {
      return {};
    }
    return make_error(fmt::format(
        "backup to '{}': '{}' is not an S3 bucket name wpfleet can use (3 to 63 lowercase letters, "
        "digits and hyphens, no dots); write \"s3://bucket\" or \"s3://bucket/prefix\"",
        to, bucket));
  }
  if (to.starts_with('/') && to.find('\n') == std::string_view::npos) return {};
  return make_error(fmt::format(
      "backup to '{}' is not an absolute directory; write one, e.g. \"/var/backups/wpfleet\"", to));
}

Status aws_region(std::string_view region) {
  static const std::regex kRegion(kAwsRegionPattern);
  if (std::regex_match(region.begin(), region.end(), kRegion)) return {};
  return make_error(fmt::format("region '{}' is not an AWS region; write one such as \"eu-west-1\"", region));
}

Status webhook_url(std::string_view url) {
  const bool has_scheme = url.starts_with("https://") || url.starts_with("http://");
  const std::size_t host_start = url.find("://") + 3;
  const bool valid = has_scheme && url.size() > host_start && url[host_start] != '/' &&
                     std::none_of(url.begin(), url.end(), [](unsigned char c) {
                       return c <= ' ' || c == 0x7f;
                     });
  if (valid) return {};
  return make_error(fmt::format(
      "webhook '{}' is not an http(s) URL; write the URL your chat tool gave for its incoming "
      "webhook, e.g. \"https://hooks.slack.com/services/...\"",
      url));
}

Status alert_command(std::string_view command) {
  if (command.find_first_not_of(" \t") != std::string_view::npos) return {};
  return make_error(
      "the alert command is empty; give a command that reads the event as JSON on its stdin, "
      "e.g. \"/usr/local/bin/page-on-call\"");
}

Result<Hook> hook(std::string_view text) {
  for (const auto& [prefix, language] : {std::pair{std::string_view("sql:"), Hook::Language::Sql},
                                         std::pair{std::string_view("php:"), Hook::Language::Php}}) {
    if (!text.starts_with(prefix)) continue;
    std::string code(text.substr(prefix.size()));
    code.erase(0, code.find_first_not_of(' '));
    if (code.empty()) break;
    return Hook{language, code};
  }
  return make_error(fmt::format(
      "hook '{}' says neither sql: nor php:; it must start with sql: or php: followed by code, "
      "e.g. \"sql: UPDATE wp_users SET user_email = CONCAT('user', ID, '@example.invalid')\"",
      text));
}

Status core_version(std::string_view core) {
  if (core == kDebianCore) return {};
  // Two or three dot-separated numbers, as wordpress.org names its release archives.
  int parts = 0;
  bool valid = true;
  for (std::size_t start = 0; valid && start <= core.size(); ++parts) {
    const std::size_t dot = std::min(core.find('.', start), core.size());
    const std::string_view part = core.substr(start, dot - start);
    valid = !part.empty() && part.size() <= 3 &&
            part.find_first_not_of("0123456789") == std::string_view::npos;
    start = dot + 1;
  }
  if (valid && (parts == 2 || parts == 3)) return {};
  return make_error(fmt::format(
      "core '{}' is neither \"debian\" nor a WordPress version; write \"debian\" (Debian's "
      "wordpress package, works offline) or a release of wordpress.org such as \"6.8.3\"",
      core));
}

Result<int> snapshot_retention(std::int64_t count) {
  return in_range("snapshot_retention", count, 1, 1000, show_number);
}

Result<std::uint64_t> snapshot_budget(std::string_view size) {
  constexpr SizeUnit kUnits[] = {{"MB", 1}, {"GB", 1024}, {"TB", 1024 * 1024}};
  constexpr std::int64_t kMaxMb = 1024LL * 1024 * 1024;  // 1024TB
  if (const auto mb = parse_size_mb(size, kUnits); mb && *mb >= 1 && *mb <= kMaxMb) {
    return static_cast<std::uint64_t>(*mb) << 20;
  }
  return make_error(fmt::format(
      "snapshot_budget '{}' is not a size of 1MB to 1024TB; write a whole number followed by MB, "
      "GB or TB, e.g. \"5GB\"",
      size));
}

Status allow_cidr(std::string_view cidr) {
  const auto slash = cidr.find('/');
  const std::string address(cidr.substr(0, slash));
  const bool v6 = address.find(':') != std::string::npos;
  unsigned char buffer[16];
  bool valid = inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), buffer) == 1;
  if (valid && slash != std::string_view::npos) {
    auto bits = parse_count(cidr.substr(slash + 1));
    valid = bits && *bits <= (v6 ? 128 : 32);
  }
  if (valid) return {};
  return make_error(fmt::format(
      "'{}' is not an IP address or CIDR range; write it like \"127.0.0.1/32\" or \"::1\"",
      cidr));
}

Status tenant_id(std::string_view id) {
  if (auto why = name_problem(id, kTenantIdRule)) {
    return make_error(fmt::format(
        "tenant id '{}' {}; use 1-{} characters from a-z, 0-9 and '-', not starting or ending "
        "with '-', e.g. \"goldencrust\"",
        id, *why, kMaxTenantIdLength));
  }
  if (contains(kReservedTenantIds, id)) {
    return make_error(fmt::format("tenant id '{}' is reserved; choose another id (reserved: {})",
                                  id, fmt::join(kReservedTenantIds, ", ")));
  }
  return {};
}

Status title(std::string_view title) {
  if (title.empty()) {
    return make_error(
        "title is empty; write the site's name, e.g. title = \"Golden Crust Bakery\"");
  }
  if (std::size_t length = count_characters(title); length > kMaxTitleLength) {
    return make_error(
        fmt::format("title has {} characters (at most {}); shorten it", length, kMaxTitleLength));
  }
  if (std::any_of(title.begin(), title.end(), is_control)) {
    return make_error(
        "title contains a control character such as a tab or line break; remove it (a title "
        "is one line of text)");
  }
  return {};
}

Status admin_email(std::string_view email) {
  if (auto why = email_problem(email)) {
    return make_error(fmt::format(
        "admin_email '{}' {}; write an address like \"owner@goldencrust.example\"", email, *why));
  }
  return {};
}

Status alias(std::string_view host) {
  return host_name_value("alias", host, "www.goldencrust.example");
}

Status tenant_domain(std::string_view host) {
  return host_name_value("domain", host, "goldencrust.co.za");
}

}  // namespace wpfleet::validate
