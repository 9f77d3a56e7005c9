#include "fleet/aws_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include "fleet/validate.h"

namespace wpfleet {

namespace {

constexpr KeySpec kAwsKeys[] = {
    {"account_id", R"(account_id = "815856636111")"},
    {"alb", R"(alb = "{env}-alb")"},
    {"cluster", R"(cluster = "{env}-cluster")"},
    {"cpu", "cpu = 256"},
    {"db_access", R"(db_access = "task")"},
    {"db_host", R"(db_host = "127.0.0.1")"},
    {"db_init_task_definition", R"(db_init_task_definition = "{env}-generic-db-init")"},
    {"db_port", "db_port = 3306"},
    {"efs", R"(efs = "{env}-efs")"},
    {"efs_mount", R"(efs_mount = "/mnt/sit-efs")"},
    {"execution_role", R"(execution_role = "{env}-ecs-task-execution-role")"},
    {"files_access", R"(files_access = "direct")"},
    {"image", R"(image = "wordpress:latest")"},
    {"listener_port", "listener_port = 80"},
    {"log_group", R"(log_group = "/ecs/{env}")"},
    {"master_secret", R"(master_secret = "{env}-rds-master-credentials")"},
    {"memory", "memory = 512"},
    {"profile", R"(profile = "Tebogo-sit")"},
    {"rds_instance", R"(rds_instance = "{env}-mysql")"},
    {"region", R"(region = "eu-west-1")"},
    {"role_arn", R"(role_arn = "arn:aws:iam::815856636111:role/wpfleet")"},
    {"security_groups", R"(security_groups = ["sg-01bca1fb9806ad397"])"},
    {"subnets", R"(subnets = ["subnet-09d1d2de85ae02264", "subnet-00e96b70ba19dffc5"])"},
    {"transfer_bucket", R"(transfer_bucket = "{env}-wpfleet-transfer")"},
};

std::string with_env(std::string pattern, const std::string& env) {
  for (auto at = pattern.find("{env}"); at != std::string::npos; at = pattern.find("{env}", at)) {
    pattern.replace(at, 5, env);
    at += env.size();
  }
  return pattern;
}

bool matches(const std::string& text, const char* pattern) {
  return std::regex_match(text, std::regex(pattern));
}

// Fargate accepts only these CPU/memory pairs (MiB): memory in [low, high] in steps.
Status fargate_size(int cpu, int memory) {
  struct Size {
    int cpu, low, high, step;
  };
  constexpr Size kSizes[] = {{256, 512, 2048, 512},     {512, 1024, 4096, 1024},
                             {1024, 2048, 8192, 1024},  {2048, 4096, 16384, 1024},
                             {4096, 8192, 30720, 1024}, {8192, 16384, 61440, 4096},
                             {16384, 32768, 122880, 8192}};
  for (const Size& size : kSizes) {
    if (size.cpu != cpu) continue;
    if (memory >= size.low && memory <= size.high && (memory - size.low) % size.step == 0) return {};
    return make_error(fmt::format(
        "Fargate does not run cpu = {} with memory = {}; with that cpu use {} to {} MiB in "
        "steps of {}",
        cpu, memory, size.low, size.high, size.step));
  }
  return make_error(fmt::format(
      "Fargate has no cpu size {}; use 256, 512, 1024, 2048, 4096, 8192 or 16384", cpu));
}

class AwsTableReader {
 public:
  AwsTableReader(const toml::table& table, const std::string& env, Problems& problems)
      : env_(env),
        problems_(problems),
        reader_(table, fmt::format("in [environments.{}.aws]", env), kAwsKeys, problems) {}

  std::optional<AwsSettings> read() {
    AwsSettings aws = default_aws_settings(env_);
    string("region", Need::kRequired, validate::kAwsRegionPattern,
           "a region such as \"eu-west-1\"", aws.region);
    string("account_id", Need::kRequired, R"([0-9]{12})", "the 12 digits of the account id",
           aws.account_id);
    optional_string("profile", R"([A-Za-z0-9_.@+-]+)", "a profile name of ~/.aws/config",
                    aws.profile);
    optional_string("role_arn", R"(arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+)",
                    "a role ARN such as \"arn:aws:iam::815856636111:role/wpfleet\"", aws.role_arn);
    ids("subnets", R"(subnet-[0-9a-f]{8,17})", aws.subnets);
    ids("security_groups", R"(sg-[0-9a-f]{8,17})", aws.security_groups);
    constexpr const char* kName = R"([A-Za-z0-9][A-Za-z0-9_.-]*)";
    string("cluster", Need::kOptional, kName, "a cluster name", aws.cluster);
    string("alb", Need::kOptional, kName, "a load balancer name", aws.alb);
    string("rds_instance", Need::kOptional, kName, "a DB instance identifier", aws.rds_instance);
    string("master_secret", Need::kOptional, R"([A-Za-z0-9/_+=.@-]+)", "a secret name",
           aws.master_secret);
    string("efs", Need::kOptional, kName, "the Name tag or id of a file system", aws.efs);
    string("execution_role", Need::kOptional, R"([A-Za-z0-9_+=,.@-]+)", "a role name",
           aws.execution_role);
    string("log_group", Need::kOptional, R"([A-Za-z0-9_./#-]+)", "a log group name",
           aws.log_group);
    string("image", Need::kOptional, R"([A-Za-z0-9][A-Za-z0-9_.:/@-]*)", "an image reference",
           aws.image);
    string("db_init_task_definition", Need::kOptional, kName, "a task definition family",
           aws.db_init_task_definition);
    string("transfer_bucket", Need::kOptional, validate::kS3BucketPattern,
           "an S3 bucket name (3 to 63 lowercase letters, digits and hyphens, no dots)",
           aws.transfer_bucket);
    integer("listener_port", 1, 65535, aws.listener_port);
    integer("cpu", 1, 1 << 20, aws.cpu);
    integer("memory", 1, 1 << 20, aws.memory);
    if (const auto* cpu = reader_.node("cpu")) {
      problems_.check(cpu->source().begin, fargate_size(aws.cpu, aws.memory));
    }
    read_db_access(aws);
    read_files_access(aws);
    if (failed_) return std::nullopt;
    return aws;
  }

 private:
  // A "task" | "direct" choice: true for direct, nullopt when unset or unknown.
  std::optional<bool> direct_or_task(const char* key, const char* task, const char* direct) {
    const auto* access = reader_.get<std::string>(key);
    if (!access) return std::nullopt;
    if (access->get() == "task" || access->get() == "direct") return access->get() == "direct";
    fail(access->source().begin,
         fmt::format("{} '{}' is not known; use \"task\" ({}) or \"direct\" ({})", key,
                     access->get(), task, direct));
    return std::nullopt;
  }

  // A key that means something on the direct path of `access` alone.
  void only_when_direct(const char* key, const char* access, bool direct) {
    const auto* node = reader_.node(key);
    if (node && !direct) {
      fail(node->source().begin,
           fmt::format("'{}' is only used with {} = \"direct\"; remove it or set {} = \"direct\"",
                       key, access, access));
    }
  }

  void read_db_access(AwsSettings& aws) {
    if (auto direct = direct_or_task("db_access", "a one-off Fargate task runs the SQL",
                                     "wpfleet connects to the database itself")) {
      aws.db_access = *direct ? AwsSettings::DbAccess::Direct : AwsSettings::DbAccess::Task;
    }
    optional_string("db_host", R"([A-Za-z0-9.:-]+)", "a host name or address", aws.db_host);
    if (reader_.node("db_port")) {
      int port = 0;
      integer("db_port", 1, 65535, port);
      if (port != 0) aws.db_port = port;
    }
    for (const char* key : {"db_host", "db_port"}) {
      only_when_direct(key, "db_access", aws.db_access == AwsSettings::DbAccess::Direct);
    }
  }

  // Where the tenants' files are reached: "direct" works in the directory where the
  // EFS root is mounted here, each tenant's under {efs_mount}/{tenant} (its access
  // point's path /{tenant}).
  void read_files_access(AwsSettings& aws) {
    if (auto direct = direct_or_task("files_access", "a one-off Fargate task",
                                     "wpfleet works in the directory where the environment's "
                                     "EFS is mounted, named by efs_mount")) {
      aws.files_access = *direct ? AwsSettings::FilesAccess::Direct : AwsSettings::FilesAccess::Task;
    }
    const auto* mount = reader_.get<std::string>("efs_mount");
    if (mount) {
      const std::string& path = mount->get();
      if (path.empty() || path.front() != '/' || path.find("/../") != std::string::npos ||
          path.ends_with("/..") || path.find('\0') != std::string::npos) {
        fail(mount->source().begin,
             fmt::format("efs_mount = \"{}\" is not an absolute path without '..'; name the directory where "
                         "the environment's EFS root is mounted, such as \"/mnt/{}-efs\"",
                         path, env_));
      } else {
        aws.efs_mount = path;
      }
      only_when_direct("efs_mount", "files_access",
                       aws.files_access == AwsSettings::FilesAccess::Direct);
    } else if (aws.files_access == AwsSettings::FilesAccess::Direct) {
      const auto* access = reader_.node("files_access");
      fail(access->source().begin,
           fmt::format("files_access = \"direct\" needs efs_mount, the directory where the "
                       "environment's EFS root is mounted on this machine: add efs_mount = "
                       "\"/mnt/{}-efs\"",
                       env_));
    }
  }

  void fail(const Position& at, std::string message) {
    problems_.add(at, std::move(message));
    failed_ = true;
  }

  void string(std::string_view key, Need need, const char* pattern, std::string_view what,
              std::string& field) {
    const auto* value = reader_.get<std::string>(key, need);
    if (value == nullptr) {
      if (need == Need::kRequired) failed_ = true;
      return;
    }
    // Names are patterns: "{env}-cluster" is checked as the name it stands for.
    std::string text = with_env(value->get(), env_);
    if (!matches(text, pattern)) {
      fail(value->source().begin, fmt::format("'{}' = \"{}\" is not {}", key, text, what));
      return;
    }
    field = std::move(text);
  }

  void optional_string(std::string_view key, const char* pattern, std::string_view what,
                       std::optional<std::string>& field) {
    std::string value;
    string(key, Need::kOptional, pattern, what, value);
    if (!value.empty()) field = value;
  }

  void ids(std::string_view key, const char* pattern, std::vector<std::string>& field) {
    const toml::array* list = reader_.strings(key, Need::kRequired);
    if (list == nullptr || list->empty()) {
      if (list) {
        fail(list->source().begin, fmt::format("'{}' is empty; list at least one id", key));
      }
      failed_ = true;
      return;
    }
    for (const toml::node& item : *list) {
      const std::string& id = item.as_string()->get();
      if (!matches(id, pattern)) {
        fail(item.source().begin,
             fmt::format("'{}' is not an id of {}; copy the id from the AWS console or "
                         "`aws ec2 describe-{}`",
                         id, key, key == "subnets" ? "subnets" : "security-groups"));
        continue;
      }
      field.push_back(id);
    }
  }

  void integer(std::string_view key, int low, int high, int& field) {
    const auto* value = reader_.get<std::int64_t>(key);
    if (value == nullptr) return;
    if (value->get() < low || value->get() > high) {
      fail(value->source().begin,
           fmt::format("'{}' = {} is out of range; use {} to {}", key, value->get(), low, high));
      return;
    }
    field = static_cast<int>(value->get());
  }

  const std::string& env_;
  Problems& problems_;
  TableReader reader_;
  bool failed_ = false;
};

}  // namespace

AwsSettings default_aws_settings(const std::string& env_name) {
  AwsSettings aws;
  aws.cluster = with_env("{env}-cluster", env_name);
  aws.alb = with_env("{env}-alb", env_name);
  aws.rds_instance = with_env("{env}-mysql", env_name);
  aws.master_secret = with_env("{env}-rds-master-credentials", env_name);
  aws.efs = with_env("{env}-efs", env_name);
  aws.execution_role = with_env("{env}-ecs-task-execution-role", env_name);
  aws.log_group = with_env("/ecs/{env}", env_name);
  aws.db_init_task_definition = with_env("{env}-generic-db-init", env_name);
  aws.transfer_bucket = with_env("{env}-wpfleet-transfer", env_name);
  return aws;
}

std::optional<AwsSettings> read_aws_settings(const toml::table& table, const std::string& env_name,
                                             Problems& problems) {
  return AwsTableReader(table, env_name, problems).read();
}

}  // namespace wpfleet
