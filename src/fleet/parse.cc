#include "fleet/parse.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "fleet/aws_settings.h"
#include "fleet/host_conflicts.h"
#include "fleet/toml_reader.h"
#include "fleet/validate.h"

namespace wpfleet {

namespace {

// Keys of each table, with the example line a fix suggests.
constexpr KeySpec kTopLevelKeys[] = {
    {"alerts", R"(alerts = [{ webhook = "https://hooks.slack.com/services/..." }])"},
    {"environments", "[environments.dev]"},
    {"tenants", "[[tenants]]"},
};
constexpr KeySpec kEnvironmentKeys[] = {
    {"after_promote", R"(after_promote = ["sql: DELETE FROM wp_comments"])"},
    {"allow", R"(allow = ["127.0.0.1/32"])"},
    {"aws", "[environments.sit.aws]"},
    {"backend", R"(backend = "local")"},
    {"backup", R"(backup = { every = "24h", keep = 14, to = "/var/backups/wpfleet" })"},
    {"basic_auth", R"(basic_auth = { user = "bbws-sit" })"},
    {"core", R"(core = "6.8.3")"},
    {"domain", R"(domain = "{tenant}.wpdev.localhost")"},
    {"listen", R"(listen = "127.0.0.1:8080")"},
    {"page_cache", R"(page_cache = "10s")"},
    {"php", "[environments.dev.php]"},
    {"production", "production = false"},
    {"snapshot_budget", R"(snapshot_budget = "5GB")"},
    {"snapshot_retention", "snapshot_retention = 10"},
    {"tls", "tls = true"},
};
constexpr KeySpec kAlertKeys[] = {
    {"command", R"(command = "/usr/local/bin/page-on-call")"},
    {"webhook", R"(webhook = "https://hooks.slack.com/services/...")"},
};
constexpr KeySpec kBackupKeys[] = {
    {"every", R"(every = "24h")"},
    {"keep", "keep = 14"},
    {"to", R"(to = "/var/backups/wpfleet")"},
    {"region", R"(region = "eu-west-1")"},
};
constexpr KeySpec kBasicAuthKeys[] = {
    {"user", R"(user = "bbws-sit")"},
};
constexpr KeySpec kPhpKeys[] = {
    {"idle_timeout", R"(idle_timeout = "10s")"},
    {"max_children", "max_children = 5"},
    {"memory_limit", R"(memory_limit = "256M")"},
    {"upload_max", R"(upload_max = "64M")"},
};
constexpr KeySpec kTenantKeys[] = {
    {"admin_email", R"(admin_email = "owner@goldencrust.example")"},
    {"aliases", R"(aliases = ["www.goldencrust.example"])"},
    {"domains", R"(domains = { prod = "goldencrust.co.za" })"},
    {"environments", R"(environments = ["dev"])"},
    {"id", R"(id = "goldencrust")"},
    {"title", R"(title = "Golden Crust Bakery")"},
};

constexpr KeySpec kAliasKeys[] = {
    {"host", R"(host = "goldencrust.com")"},
    {"redirect", "redirect = true"},
};

struct Located {
  std::string text;
  Position at;
};

// One alias as written: a host name, or `{ host = "...", redirect = true|false }`.
struct AliasEntry {
  Located host;
  std::optional<AliasMode> mode;  // none: the default_alias_mode
};

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Builds a Fleet from a parsed document, collecting every problem on the way.
class FleetReader {
 public:
  explicit FleetReader(const std::string& path) : problems_(path) { fleet_.source_path = path; }

  Result<Fleet> read(const toml::table& root) {
    TableReader reader(root, "at the top level", kTopLevelKeys, problems_);
    read_environments(reader);
    check_tls_per_listen_address();
    if (const toml::node* tenants = reader.node("tenants")) read_tenants(*tenants);
    if (const toml::node* alerts = reader.node("alerts")) read_alerts(*alerts);
    check_host_conflicts(fleet_, tenant_sources_, environments_without_hosts_, problems_);
    if (!problems_.empty()) return problems_.to_error();
    return std::move(fleet_);
  }

 private:
  // Reads a string and checks it; returns whether it is present and valid.
  bool read_checked(TableReader& reader, std::string_view key, Need need,
                    Status (*check)(std::string_view), std::string& field) {
    const auto* value = reader.get<std::string>(key, need);
    if (value == nullptr) return false;
    field = value->get();
    return problems_.check(value->source().begin, check(field));
  }

  // Reads a value of TOML type T and converts it; returns whether it is present and valid.
  template <class T, class Field, class Parse>
  bool read_parsed(TableReader& reader, std::string_view key, Need need, Parse parse,
                   Field& field) {
    const auto* value = reader.get<T>(key, need);
    if (value == nullptr) return false;
    std::optional<Field> parsed = problems_.take(value->source().begin, parse(value->get()));
    if (parsed) field = std::move(*parsed);
    return parsed.has_value();
  }

  void read_alerts(const toml::node& value) {
    const toml::array* list = value.as_array();
    if (list == nullptr) {
      problems_.add(value.source().begin,
                    "'alerts' must be a list of tables; write it as alerts = [{ webhook = \"https://...\" }]");
      return;
    }
    for (const toml::node& item : *list) {
      const toml::table* table = item.as_table();
      if (table == nullptr) {
        problems_.add(item.source().begin,
                      "each alert must be a table; write { webhook = \"https://...\" } or "
                      "{ command = \"...\" }");
        continue;
      }
      TableReader reader(*table, "in an alert", kAlertKeys, problems_);
      AlertDestination alert;
      const bool webhook = table->contains("webhook");
      if (webhook == table->contains("command")) {
        problems_.add(item.source().begin,
                      "an alert names either a webhook or a command, one of them; write "
                      "{ webhook = \"https://...\" } or { command = \"...\" }");
        continue;
      }
      alert.kind = webhook ? AlertDestination::Kind::Webhook : AlertDestination::Kind::Command;
      if (read_checked(reader, webhook ? "webhook" : "command", Need::kRequired,
                       webhook ? validate::webhook_url : validate::alert_command, alert.target)) {
        fleet_.alerts.push_back(std::move(alert));
      }
    }
  }

  void read_environments(TableReader& root) {
    const toml::table* environments = root.get<toml::table>("environments", Need::kRequired);
    if (environments == nullptr) return;
    if (environments->empty()) {
      problems_.add(environments->source().begin,
                    "no environments are defined; add one, e.g. [environments.dev] with domain "
                    "and listen keys");
    }
    for (auto&& [name, value] : *environments) read_environment(name, value);
  }

  // One port speaks either HTTPS or HTTP, so environments sharing a listen address must
  // agree on tls.
  void check_tls_per_listen_address() {
    std::map<std::string, const Environment*> first_on_address;
    for (const auto& [name, env] : fleet_.environments) {
      if (environments_without_hosts_.count(name) || env.backend == "aws") continue;
      auto [it, inserted] = first_on_address.emplace(env.listen.to_string(), &env);
      if (inserted || it->second->edge.tls == env.edge.tls) continue;
      problems_.add(environment_positions_.at(name),
                    fmt::format("environments '{}' and '{}' share listen address {} but only one "
                                "has tls = true; give the TLS environment a port of its own",
                                it->second->name, name, env.listen.to_string()));
    }
  }

  // Environments are kept even when broken, so tenants naming them do not report twice.
  void read_environment(const toml::key& name, const toml::node& value) {
    Environment env;
    env.name = name.str();
    environment_positions_[env.name] = name.source().begin;
    problems_.check(name.source().begin, validate::environment_name(env.name));
    bool hosts_valid = false;
    if (const toml::table* table = value.as_table()) {
      hosts_valid = read_environment_settings(*table, env);
    } else {
      problems_.add(value.source().begin,
                    fmt::format("environment '{}' must be a table; write [environments.{}] with "
                                "its keys on the lines below",
                                env.name, env.name));
    }
    if (!hosts_valid) environments_without_hosts_.insert(env.name);
    fleet_.environments.emplace(env.name, std::move(env));
  }

  // Returns whether the environment's host names are known (valid domain and listen).
  bool read_environment_settings(const toml::table& table, Environment& env) {
    TableReader reader(table, fmt::format("in [environments.{}]", env.name), kEnvironmentKeys,
                       problems_);
    read_checked(reader, "backend", Need::kOptional, validate::backend, env.backend);
    bool domain_valid =
        read_checked(reader, "domain", Need::kRequired, validate::domain_pattern, env.domain);
    // An aws environment is reached through its load balancer; `listen` is local's.
    const bool on_aws = env.backend == "aws";
    bool listen_valid = read_parsed<std::string>(reader, "listen",
                                                 on_aws ? Need::kOptional : Need::kRequired,
                                                 validate::listen_address, env.listen) ||
                        on_aws;
    read_aws(reader, env);
    read_core(reader, env);
    if (const auto* production = reader.get<bool>("production")) env.production = production->get();
    if (const auto* php = reader.get<toml::table>("php")) {
      read_php(*php, fmt::format("in [environments.{}.php]", env.name), env.php);
    }
    read_edge(reader, env);
    read_content_settings(reader, env);
    return domain_valid && listen_valid;
  }

  // [environments.<name>.aws] belongs to, and is needed by, exactly the aws backend.
  void read_aws(TableReader& reader, Environment& env) {
    const auto* table = reader.get<toml::table>("aws");
    if (env.backend != "aws") {
      if (table) {
        problems_.add(table->source().begin,
                      fmt::format("[environments.{}.aws] is only read when backend = \"aws\"; set "
                                  "backend = \"aws\" in [environments.{}] or remove the table",
                                  env.name, env.name));
      }
      return;
    }
    if (table == nullptr) {
      problems_.add(environment_positions_.at(env.name),
                    fmt::format("environment '{}' has backend = \"aws\" but no [environments.{}.aws] "
                                "table; add one with region, account_id, subnets and "
                                "security_groups",
                                env.name, env.name));
      return;
    }
    env.aws = read_aws_settings(*table, env.name, problems_);
  }

  // The core is what the local backend serves; an aws environment's tenants run the
  // container image its aws table names.
  void read_core(TableReader& reader, Environment& env) {
    const auto* value = reader.get<std::string>("core");
    if (value == nullptr) return;
    if (env.backend == "aws") {
      problems_.add(value->source().begin,
                    fmt::format("core is read by the local backend only; an aws environment runs "
                                "the image in [environments.{}.aws] (e.g. image = "
                                "\"wordpress:6.8.3\"): remove core here",
                                env.name));
      return;
    }
    if (problems_.check(value->source().begin, validate::core_version(value->get()))) {
      env.core = value->get();
    }
  }

  void read_content_settings(TableReader& reader, Environment& env) {
    if (const toml::array* hooks = reader.strings("after_promote")) {
      for (const toml::node& item : *hooks) {
        auto hook = problems_.take(item.source().begin, validate::hook(item.as_string()->get()));
        if (hook) env.after_promote.push_back(std::move(*hook));
      }
    }
    read_parsed<std::int64_t>(reader, "snapshot_retention", Need::kOptional,
                              validate::snapshot_retention, env.snapshot_retention);
    read_parsed<std::string>(reader, "snapshot_budget", Need::kOptional, validate::snapshot_budget,
                             env.snapshot_budget);
    if (const auto* backup = reader.get<toml::table>("backup")) read_backup(*backup, env);
  }

  void read_backup(const toml::table& table, Environment& env) {
    TableReader reader(table, fmt::format("in backup of [environments.{}]", env.name), kBackupKeys,
                       problems_);
    BackupPolicy policy;
    bool valid = read_checked(reader, "to", Need::kRequired, validate::backup_destination, policy.to);
    if (reader.node("every")) {
      valid = read_parsed<std::string>(reader, "every", Need::kOptional, validate::backup_every_s,
                                       policy.every_s) && valid;
    }
    if (reader.node("keep")) {
      valid = read_parsed<std::int64_t>(reader, "keep", Need::kOptional, validate::backup_keep,
                                        policy.keep) && valid;
    }
    if (reader.node("region")) {
      std::string region;
      valid = read_checked(reader, "region", Need::kOptional, validate::aws_region, region) && valid;
      policy.region = region;
    }
    if (valid) env.backup = policy;
  }

  void read_edge(TableReader& reader, Environment& env) {
    EdgePolicy& edge = env.edge;
    if (const auto* auth = reader.get<toml::table>("basic_auth")) {
      TableReader auth_reader(*auth, fmt::format("in basic_auth of [environments.{}]", env.name),
                              kBasicAuthKeys, problems_);
      std::string user;
      if (read_checked(auth_reader, "user", Need::kRequired, validate::basic_auth_user, user)) {
        edge.basic_auth_user = user;
      }
    }
    if (const toml::array* allow = reader.strings("allow")) {
      for (const toml::node& item : *allow) {
        const std::string& cidr = item.as_string()->get();
        if (problems_.check(item.source().begin, validate::allow_cidr(cidr))) {
          edge.allow.push_back(cidr);
        }
      }
      if (!edge.allow.empty() && !edge.basic_auth_user) {
        problems_.add(allow->source().begin,
                      "'allow' lists addresses that skip the basic auth password, but this "
                      "environment has no basic_auth; add basic_auth = { user = \"...\" } or "
                      "remove allow");
      }
    }
    read_parsed<std::string>(reader, "page_cache", Need::kOptional, validate::page_cache_s,
                             edge.page_cache_s);
    if (const auto* tls = reader.get<bool>("tls")) edge.tls = tls->get();
  }

  void read_php(const toml::table& table, std::string where, PhpLimits& php) {
    TableReader reader(table, std::move(where), kPhpKeys, problems_);
    read_parsed<std::int64_t>(reader, "max_children", Need::kOptional, validate::max_children,
                              php.max_children);
    read_parsed<std::string>(reader, "memory_limit", Need::kOptional, validate::memory_limit_mb,
                             php.memory_limit_mb);
    read_parsed<std::string>(reader, "upload_max", Need::kOptional, validate::upload_max_mb,
                             php.upload_max_mb);
    read_parsed<std::string>(reader, "idle_timeout", Need::kOptional, validate::idle_timeout_s,
                             php.idle_timeout_s);
  }

  void read_tenants(const toml::node& value) {
    const toml::array* entries = value.as_array();
    if (entries == nullptr ||
        !std::all_of(entries->begin(), entries->end(),
                     [](const toml::node& entry) { return entry.is_table(); })) {
      problems_.add(value.source().begin,
                    "'tenants' must be a list of tables; write each tenant as a [[tenants]] table");
      return;
    }
    for (const toml::node& entry : *entries) read_tenant(*entry.as_table());
  }

  void read_tenant(const toml::table& table) {
    TableReader reader(table, "in [[tenants]]", kTenantKeys, problems_);
    Tenant tenant;
    TenantSource source;
    source.start = table.source().begin;
    read_tenant_id(reader, tenant, source);
    read_checked(reader, "title", Need::kRequired, validate::title, tenant.title);
    read_checked(reader, "admin_email", Need::kRequired, validate::admin_email, tenant.admin_email);
    read_tenant_environments(reader, tenant);
    read_domains(reader, tenant, source);
    read_aliases(reader, tenant, source);
    fleet_.tenants.push_back(std::move(tenant));
    tenant_sources_.push_back(std::move(source));
  }

  void read_tenant_id(TableReader& reader, Tenant& tenant, TenantSource& source) {
    const auto* id = reader.get<std::string>("id", Need::kRequired);
    if (id == nullptr) return;
    tenant.id = id->get();
    source.id = id->source().begin;
    if (!problems_.check(source.id, validate::tenant_id(tenant.id))) return;
    if (const Tenant* first = fleet_.find_tenant(tenant.id)) {
      problems_.add(source.id, fmt::format("tenant id '{}' is already used by the tenant on line "
                                           "{}; give each tenant a unique id",
                                           tenant.id, start_line(*first)));
      return;
    }
    source.id_valid = true;
  }

  void read_tenant_environments(TableReader& reader, Tenant& tenant) {
    const toml::array* names = reader.strings("environments", Need::kRequired);
    if (names == nullptr) return;
    if (names->empty()) {
      problems_.add(names->source().begin,
                    "'environments' is empty; list at least one, e.g. environments = [\"dev\"]");
    }
    for (const toml::node& item : *names) {
      const std::string& name = item.as_string()->get();
      Position at = item.source().begin;
      if (contains(tenant.environments, name)) {
        problems_.add(at, fmt::format("environment '{}' is listed twice; list each environment "
                                      "once",
                                      name));
        continue;
      }
      if (fleet_.find_environment(name) == nullptr) {
        problems_.add(at, fmt::format("environment '{}' is not defined; define "
                                      "[environments.{}] or use one of the defined ones: {}",
                                      name, name, defined_environments()));
      }
      tenant.environments.push_back(name);
    }
  }

  // `domains = { prod = "goldencrust.co.za" }`: the tenant's own canonical host name in
  // the named environments, instead of their `domain` pattern.
  void read_domains(TableReader& reader, Tenant& tenant, TenantSource& source) {
    const auto* per_environment = reader.get<toml::table>("domains");
    if (per_environment == nullptr) return;
    for (auto&& [key, value] : *per_environment) {
      const std::string env(key.str());
      const Position at = value.source().begin;
      if (!contains(tenant.environments, env)) {
        problems_.add(key.source().begin,
                      fmt::format("a domain for '{}', but tenant '{}' is not in environment '{}'; "
                                  "add \"{}\" to its environments or remove this domain",
                                  env, tenant.id, env, env));
        continue;
      }
      const auto* host = value.as_string();
      if (host == nullptr) {
        problems_.add(at, fmt::format("the domain for '{}' is not a string; write it as a host "
                                      "name in quotes, e.g. domains = {{ {} = \"goldencrust.co.za\" }}",
                                      env, env));
        continue;
      }
      if (!problems_.check(at, validate::tenant_domain(host->get()))) continue;
      if (const Environment* environment = fleet_.find_environment(env);
          environment != nullptr && environment->aws) {
        problems_.add(at, fmt::format("a tenant's own domain on the aws backend ('{}') is not "
                                      "built yet (the listener rule, CloudFront's aliases and "
                                      "certificate would need it); remove it from domains and "
                                      "point the name at the environment's domain instead",
                                      env));
        continue;
      }
      tenant.domains[env] = host->get();
      source.domain_positions[env] = at;
    }
  }

  // `aliases = [...]` applies to every environment of the tenant; a table, to the named ones.
  void read_aliases(TableReader& reader, Tenant& tenant, TenantSource& source) {
    const toml::node* value = reader.node("aliases");
    if (value == nullptr) return;
    const toml::table* per_environment = value->as_table();
    if (per_environment == nullptr) {
      std::vector<AliasEntry> entries = read_alias_entries(*value);
      for (const std::string& env : tenant.environments) add_aliases(env, entries, tenant, source);
      return;
    }
    for (auto&& [env, list] : *per_environment) {
      if (contains(tenant.environments, env.str())) {
        add_aliases(std::string(env.str()), read_alias_entries(list), tenant, source);
        continue;
      }
      problems_.add(env.source().begin,
                    fmt::format("aliases for '{}', but tenant '{}' is not in environment '{}'; add "
                                "\"{}\" to its environments or remove these aliases",
                                env.str(), tenant.id, env.str(), env.str()));
    }
  }

  // The valid aliases of one list; the invalid ones are reported.
  std::vector<AliasEntry> read_alias_entries(const toml::node& value) {
    std::vector<AliasEntry> entries;
    const toml::array* list = value.as_array();
    if (list == nullptr) {
      problems_.add(value.source().begin,
                    "'aliases' must be a list of host names, or a table of such lists by "
                    "environment; write it like aliases = [\"www.goldencrust.example\"] or "
                    "aliases = { dev = [\"www.goldencrust.example\"] }");
      return entries;
    }
    for (const toml::node& item : *list) {
      if (auto entry = read_alias_entry(item)) entries.push_back(std::move(*entry));
    }
    return entries;
  }

  std::optional<AliasEntry> read_alias_entry(const toml::node& item) {
    const Position at = item.source().begin;
    if (const auto* host = item.as_string()) {
      if (!problems_.check(at, validate::alias(host->get()))) return std::nullopt;
      return AliasEntry{{host->get(), at}, std::nullopt};
    }
    const toml::table* table = item.as_table();
    if (table == nullptr) {
      problems_.add(at, "an alias must be a host name or a table; write it like "
                        "\"www.goldencrust.example\" or { host = \"goldencrust.com\", redirect = true }");
      return std::nullopt;
    }
    TableReader reader(*table, "in an alias", kAliasKeys, problems_);
    const auto* host = reader.get<std::string>("host", Need::kRequired);
    const auto* redirect = reader.get<bool>("redirect");
    if (host == nullptr || !problems_.check(host->source().begin, validate::alias(host->get()))) {
      return std::nullopt;
    }
    AliasEntry entry{{host->get(), host->source().begin}, std::nullopt};
    if (redirect != nullptr) entry.mode = redirect->get() ? AliasMode::Redirect : AliasMode::Served;
    return entry;
  }

  void add_aliases(const std::string& env, const std::vector<AliasEntry>& entries, Tenant& tenant,
                   TenantSource& source) {
    const Environment* environment = fleet_.find_environment(env);
    for (const AliasEntry& entry : entries) {
      // The ALB rule serves every host name it lists; a redirect there is not built.
      if (entry.mode == AliasMode::Redirect && environment != nullptr && environment->aws) {
        problems_.add(entry.host.at,
                      fmt::format("alias '{}' in '{}': redirected aliases are not built on the "
                                  "aws backend yet; drop redirect = true (it is then served) or "
                                  "redirect it at your DNS provider",
                                  entry.host.text, env));
        continue;
      }
      tenant.aliases[env].push_back(entry.host.text);
      source.alias_positions[env].push_back(entry.host.at);
      if (entry.mode) tenant.alias_modes[env][entry.host.text] = *entry.mode;
    }
  }

  std::size_t start_line(const Tenant& tenant) const {
    return tenant_sources_[static_cast<std::size_t>(&tenant - fleet_.tenants.data())].start.line;
  }

  std::string defined_environments() const {
    std::vector<std::string_view> names;
    for (const auto& [name, env] : fleet_.environments) names.push_back(name);
    return names.empty() ? "(none)" : fmt::format("{}", fmt::join(names, ", "));
  }

  Problems problems_;
  Fleet fleet_;
  std::vector<TenantSource> tenant_sources_;  // parallel to fleet_.tenants
  // Environments whose domain or listen address is invalid: their host names mean nothing.
  std::set<std::string> environments_without_hosts_;
  std::map<std::string, Position> environment_positions_;
};

Result<std::string> read_fleet_text(const std::string& path) {
  auto cannot_read = [&](int error) {
    return make_error(fmt::format("cannot read fleet file {}: {}; create one with `wpfleet init`",
                                  path, std::strerror(error)));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (file == nullptr) return cannot_read(errno);
  std::string text;
  char buffer[65536];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get())) text.append(buffer, n);
  // A directory opens fine and fails on the first read, with errno EISDIR.
  if (std::ferror(file.get())) return cannot_read(errno);
  return text;
}

}  // namespace

Result<Fleet> load_fleet_file(const std::string& path) {
  TRY_ASSIGN(std::string text, read_fleet_text(path));
  return parse_fleet(text, path);
}

Result<Fleet> parse_fleet(const std::string& text, const std::string& path) {
  toml::parse_result document = toml::parse(std::string_view(text), std::string_view(path));
  if (!document) {
    Problems problems(path);
    problems.add(document.error().source().begin,
                 fmt::format("invalid TOML: {}; fix the syntax here (see https://toml.io)",
                             document.error().description()));
    return problems.to_error();
  }
  return FleetReader(path).read(document.table());
}

}  // namespace wpfleet
