#include "backends/aws/transfer_tasks.h"

#include <iostream>

#include "backends/aws/one_off_task.h"
#include "backends/aws/secret_policy.h"
#include "backends/aws/tenant_secret.h"
#include "backends/aws/transfer_bucket.h"
#include "backends/aws/transfer_task_sh.h"
#include "backends/aws/waiting.h"
#include "util/crypto.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

// Long enough for a task to start and a large dump to be written before its PUT, short
// enough that a leaked URL soon stops working. (With role_arn the URLs also end with the
// assumed role's session.)
constexpr std::chrono::hours kUrlLifetime{6};

constexpr const char* kFilesContainer = "transfer";
constexpr const char* kFilesStreamPrefix = "wpfleet-transfer";
constexpr const char* kEfsRootVolume = "efs-root";

std::string policy_name(const std::string& env) {
  return env + "-ecs-secrets-access-wpfleet-transfer";
}

// Every tenant's transfer secret of the environment, whether made yet or not.
std::string transfer_secrets_pattern(const Environment& env, const PlatformResources& platform) {
  return secret_arn_pattern(env.aws->region, platform.account, env.name + "-*-wpfleet-transfer");
}

std::vector<std::string> command_of(const std::vector<std::string>& op) {
  std::vector<std::string> command = {"sh", "-c", kTransferTaskScript, "wpfleet-transfer"};
  command.insert(command.end(), op.begin(), op.end());
  return command;
}

// The tenant's WordPress image: its task definition's container's.
Result<std::string> tenant_image(aws::Client& client, const TenantNames& names) {
  TRY_ASSIGN(std::optional<TaskRevision> latest, latest_active_revision(client, names.family));
  if (latest) {
    for (const auto& container : latest->definition.value("containerDefinitions", json::array())) {
      if (container.value("name", "") == names.container) return container.value("image", "");
    }
  }
  return make_error("the task definition " + names.family + " has no container '" +
                    names.container + "' whose image file transfers could run in: run `wpfleet "
                    "apply`, which makes it");
}

json files_task_definition(const Environment& env, const PlatformResources& platform,
                           const std::string& tenant,
                           const std::string& image, const std::string& secret_arn) {
  json container = {
      {"name", kFilesContainer},
      {"image", image},
      {"essential", true},
      {"memory", 512},
      {"environment", json::array({environment_entry("EFS_ROOT", kTransferEfsRoot),
                                   environment_entry("WPFLEET_TENANT", tenant)})},
      {"secrets", json::array({secret_entry("IN_URL", secret_arn, "in_url"),
                               secret_entry("OUT_URL", secret_arn, "out_url")})},
      {"mountPoints", json::array({{{"sourceVolume", kEfsRootVolume},
                                    {"containerPath", kTransferEfsRoot},
                                    {"readOnly", false}}})},
      {"logConfiguration",
       awslogs_configuration(env.aws->log_group, env.aws->region, kFilesStreamPrefix)}};
  return {{"family", env.name + "-wpfleet-files"},
          {"networkMode", "awsvpc"},
          {"requiresCompatibilities", {"FARGATE"}},
          {"cpu", "256"},
          {"memory", "512"},
          {"executionRoleArn", platform.execution_role_arn},
          {"containerDefinitions", json::array({container})},
          {"volumes", json::array({{{"name", kEfsRootVolume},
                                    {"efsVolumeConfiguration",
                                     {{"fileSystemId", platform.file_system_id},
                                      {"rootDirectory", "/"},
                                      {"transitEncryption", "ENABLED"}}}}})},
          {"tags", tags_json(tenant_tags(env.name, tenant), kEcsTagMembers)}};
}

// The secret's ARN, made (empty) when it does not exist.
Result<std::string> ensure_transfer_secret(aws::Client& client, const Environment& env,
                                           const std::string& name, const std::string& tenant) {
  auto described = client.json(aws::kSecretsManager, "DescribeSecret", {{"SecretId", name}});
  if (described) return described->value("ARN", "");
  if (described.error().code != "ResourceNotFoundException") return std::move(described).error();
  TRY_ASSIGN(std::string token, random_request_token());
  auto created = client.json(aws::kSecretsManager, "CreateSecret",
                             {{"Name", name},
                              {"Description", "The presigned URLs of wpfleet's transfer task of " +
                                                  env.name + "/" + tenant + " (blank between runs)"},
                              {"SecretString", "{}"},
                              {"Tags", tags_json(tenant_tags(env.name, tenant))},
                              {"ClientRequestToken", token}});
  if (created) return created->value("ARN", "");
  if (created.error().code != "ResourceExistsException") return std::move(created).error();
  TRY_ASSIGN(json again, client.json(aws::kSecretsManager, "DescribeSecret", {{"SecretId", name}}));
  return again.value("ARN", "");
}

// A tenant's transfer tasks say whose they are: ListTasks finds them by it. (startedBy
// takes letters, digits, '-', '/' and '_'.)
std::string started_by(const std::string& tenant) { return "wpfleet-transfer/" + tenant; }

// A task of this tenant's that a killed wpfleet left running (it goes on in the VPC)
// would still be moving tables or files: the next op waits until it stopped.
Result<std::optional<std::string>> tasks_still_running(aws::Client& client,
                                                       const PlatformResources& platform,
                                                       const std::string& tenant) {
  TRY_ASSIGN(json listed, client.json(aws::kEcs, "ListTasks",
                                      {{"cluster", platform.cluster_arn},
                                       {"startedBy", started_by(tenant)},
                                       {"desiredStatus", "RUNNING"}}));
  const json arns = listed.value("taskArns", json::array());
  if (arns.empty()) return std::optional<std::string>();
  TRY_ASSIGN(json described, client.json(aws::kEcs, "DescribeTasks",
                                         {{"cluster", platform.cluster_arn}, {"tasks", arns}}));
  int running = 0;
  for (const auto& task : described.value("tasks", json::array())) {
    if (task.value("lastStatus", "") != "STOPPED") ++running;
  }
  if (running == 0) return std::optional<std::string>();
  return std::optional<std::string>(std::to_string(running) + " still running");
}

constexpr std::chrono::seconds kOrphanPoll{5};
constexpr std::chrono::minutes kOrphanTimeout{60};

Status put_secret_value(aws::Client& client, const std::string& arn, const json& value) {
  TRY_ASSIGN(std::string token, random_request_token());
  TRY(client.json(aws::kSecretsManager, "PutSecretValue",
                  {{"SecretId", arn}, {"SecretString", value.dump()}, {"ClientRequestToken", token}}));
  return {};
}

}  // namespace

Status TransferTasks::ensure_secret_policy(aws::Client& client, const Environment& env,
                                           const PlatformResources& platform) {
  std::lock_guard lock(mutex_);
  if (policy_ready_.count(env.name)) return {};
  TRY(ensure_role_reads_secret(client, env.aws->execution_role, policy_name(env.name),
                               transfer_secrets_pattern(env, platform)));
  policy_ready_.insert(env.name);
  return {};
}

Status TransferTasks::ensure_bucket(aws::Client& client, const Environment& env) {
  std::lock_guard lock(mutex_);
  if (bucket_ready_.count(env.name)) return {};
  TRY_ASSIGN(const bool exists, aws::S3(client).bucket_exists(transfer_bucket_name(env)));
  if (!exists) {
    std::cerr << env.name << ": making the transfer bucket " << transfer_bucket_name(env)
              << ", which content on the task paths goes through\n";
    TRY(ensure_transfer_bucket(client, env));
  }
  bucket_ready_.insert(env.name);
  return {};
}

Status TransferTasks::remove_leftovers(aws::Client& client, const std::string& bucket,
                                       const std::string& prefix, const std::string& keep) {
  {
    std::lock_guard lock(mutex_);
    if (!tidied_.insert(bucket + "/" + prefix).second) return {};
  }
  aws::S3 s3(client);
  TRY_ASSIGN(auto objects, s3.list(bucket, prefix));
  for (const auto& object : objects) {
    if (object.key != keep) TRY(s3.remove(bucket, object.key));
  }
  return {};
}

std::string transfer_prefix(const std::string& tenant) { return "wpfleet/transfer/" + tenant + "/"; }

std::string redeploy_note_key(const std::string& tenant) {
  return "wpfleet/redeploying/" + tenant;
}

std::string previous_note_key(const std::string& tenant) { return "wpfleet/previous/" + tenant; }

TransferTask::TransferTask(Connected cloud, const Environment& env, TenantNames names,
                           TransferKind kind, TransferTasks& tasks)
    : cloud_(cloud), env_(env), names_(std::move(names)), kind_(kind), tasks_(tasks),
      bucket_(transfer_bucket_name(env)) {
  // A tenant's runs never share objects, even two wpfleets' at once: without a random
  // run name the task does not run at all.
  if (auto run = random_request_token()) {
    prefix_ = transfer_prefix(names_.log_prefix) + *run + "/";
  } else {
    unnamed_ = run.error().message;
  }
}

Status TransferTask::named() const {
  if (!prefix_.empty()) return {};
  return make_error("no transfer task of " + env_.name + "/" + names_.log_prefix +
                    " was started: its run name could not be drawn from the system's random source (" +
                    unnamed_ + "); run the wpfleet command again");
}

TransferTask::~TransferTask() { clean_up(); }

Result<aws::S3Upload*> TransferTask::input() {
  TRY(named());
  TRY(tasks_.ensure_bucket(cloud_.client, env_));
  if (!input_) input_ = aws::S3(cloud_.client).upload(bucket_, key("in"));
  return input_.get();
}

Status TransferTask::publish_urls() {
  aws::S3 s3(cloud_.client);
  // Both keys always: ECS refuses to start a task whose secret lacks a key it names.
  json urls = {{"in_url", ""}};
  if (input_) {
    TRY_ASSIGN(urls["in_url"], s3.presigned_url("GET", bucket_, key("in"), kUrlLifetime));
  }
  TRY_ASSIGN(urls["out_url"], s3.presigned_url("PUT", bucket_, key("out"), kUrlLifetime));
  TRY_ASSIGN(secret_arn_, ensure_transfer_secret(cloud_.client, env_, names_.transfer_secret,
                                                 names_.log_prefix));
  return put_secret_value(cloud_.client, secret_arn_, urls);
}

Status TransferTask::run_task(const std::vector<std::string>& op) {
  const std::string rerun = "the wpfleet command again";
  if (kind_ == TransferKind::Database) {
    TRY_ASSIGN(std::optional<TenantSecret> secret,
               describe_tenant_secret(cloud_.client, names_.secret));
    if (!secret) {
      return make_error("the secret " + names_.secret + " of " + env_.name + "/" + names_.log_prefix +
                        " does not exist, so no task can reach its database: run `wpfleet apply`");
    }
    DbInitJob job;
    job.tenant = names_.log_prefix;
    job.tenant_secret_arn = secret->arn;
    job.command = command_of(op);
    job.transfer_secret_arn = secret_arn_;
    job.tenant_db_user = names_.db_user;
    job.rerun = rerun;
    job.started_by = started_by(names_.log_prefix);
    return tasks_.database().run(cloud_.client, env_, cloud_.platform, job);
  }
  TRY_ASSIGN(std::string image, tenant_image(cloud_.client, names_));
  const json input = files_task_definition(env_, cloud_.platform, names_.log_prefix, image,
                                           secret_arn_);
  TRY_ASSIGN(std::optional<TaskRevision> latest,
             latest_active_revision(cloud_.client, input.value("family", "")));
  OneOffTask task;
  task.container = kFilesContainer;
  task.command = command_of(op);
  task.log_group = env_.aws->log_group;
  task.log_stream_prefix = kFilesStreamPrefix;
  task.started_by = started_by(names_.log_prefix);
  task.rerun = rerun;
  return run_on_own_revision(cloud_.client, env_, cloud_.platform, input,
                             tenant_tags(env_.name, names_.log_prefix), latest, std::move(task));
}

Status TransferTask::run(const std::vector<std::string>& op, const ByteSink& output) {
  TRY(named());
  const std::string tenant = env_.name + "/" + names_.log_prefix;
  if (input_) TRY(input_->finish());
  const Wait orphans{"the transfer tasks of " + tenant + " that an interrupted wpfleet left running",
                     tenant + ": ", kOrphanPoll, kOrphanTimeout, "they end on their own"};
  TRY(wait_until_done(
      orphans, [&] { return tasks_still_running(cloud_.client, cloud_.platform, names_.log_prefix); },
      "stop them with `aws ecs stop-task` (see `aws ecs list-tasks --started-by " +
          started_by(names_.log_prefix) + "`), then run the wpfleet command again"));
  TRY(tasks_.ensure_bucket(cloud_.client, env_));
  // What interrupted runs left is no one's any more (their tasks have stopped): dumps
  // and archives of the tenant's content should not wait for the lifecycle rule.
  TRY(tasks_.remove_leftovers(cloud_.client, bucket_, transfer_prefix(names_.log_prefix), key("in")));
  TRY(tasks_.ensure_secret_policy(cloud_.client, env_, cloud_.platform));
  TRY(publish_urls());
  std::cerr << tenant << ": running `" << op.front() << "` in a one-off task (it takes a minute to start)\n";
  Status ran = run_task(op);
  // The URLs are no use to anyone once the task stopped.
  Status blanked = put_secret_value(cloud_.client, secret_arn_, json::object());
  TRY(ran);
  TRY(blanked);
  aws::S3 s3(cloud_.client);
  Status read = s3.read(bucket_, key("out"), output ? output : [](std::string_view) -> Status { return {}; });
  if (!read) {
    return make_error("the transfer task `" + op.front() + "` of " + tenant +
                      " ended well but left no output in s3://" + bucket_ + "/" + key("out") + " (" +
                      read.error().message + "): run the wpfleet command again");
  }
  return {};
}

Result<std::string> TransferTask::run_for_text(const std::vector<std::string>& op) {
  std::string text;
  TRY(run(op, [&](std::string_view piece) -> Status {
    text.append(piece);
    return {};
  }));
  return text;
}

void TransferTask::clean_up() {
  if (prefix_.empty()) return;
  aws::S3 s3(cloud_.client);
  if (input_) (void)s3.remove(bucket_, key("in"));
  (void)s3.remove(bucket_, key("out"));
}

namespace {

// The output's lines, each split at its tabs into exactly `fields` fields.
Result<std::vector<std::vector<std::string>>> tab_lines(const std::string& text, std::size_t fields,
                                                      const std::string& shape) {
  std::vector<std::vector<std::string>> lines;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    if (line.empty()) continue;
    std::vector<std::string> split;
    std::size_t from = 0;
    for (std::size_t tab; (tab = line.find('\t', from)) != std::string::npos; from = tab + 1) {
      split.push_back(line.substr(from, tab - from));
    }
    split.push_back(line.substr(from));
    if (split.size() != fields) {
      return make_error("a transfer task's output holds a line that is not \"" + shape + "\": " + line);
    }
    lines.push_back(std::move(split));
  }
  return lines;
}

Result<std::uint64_t> count_of(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    return make_error("a transfer task's output holds '" + text + "' where a number belongs");
  }
  return std::stoull(text);
}

}  // namespace

Result<std::map<std::string, std::uint64_t>> parse_transfer_counts(const std::string& text) {
  TRY_ASSIGN(auto lines, tab_lines(text, 2, "table<TAB>rows"));
  std::map<std::string, std::uint64_t> counts;
  for (const auto& line : lines) {
    TRY_ASSIGN(counts[line[0]], count_of(line[1]));
  }
  return counts;
}

Result<std::map<std::string, TableSummary>> parse_table_summaries(const std::string& text) {
  TRY_ASSIGN(auto lines, tab_lines(text, 3, "table<TAB>rows<TAB>checksum"));
  std::map<std::string, TableSummary> tables;
  for (const auto& line : lines) {
    TRY_ASSIGN(const std::uint64_t rows, count_of(line[1]));
    tables[line[0]] = {rows, line[2]};
  }
  return tables;
}

Result<FilesSummary> parse_files_summary(const std::string& text) {
  TRY_ASSIGN(auto lines, tab_lines(text, 3, "count<TAB>bytes<TAB>digest"));
  if (lines.size() != 1) return make_error("a transfer task's files summary is not one line: " + text);
  FilesSummary files;
  TRY_ASSIGN(files.count, count_of(lines[0][0]));
  TRY_ASSIGN(files.bytes, count_of(lines[0][1]));
  files.digest = lines[0][2];
  return files;
}

}  // namespace wpfleet::aws_backend
