#include "backends/aws/platform.h"

#include "aws/pagination.h"
#include "aws/sts.h"

namespace wpfleet::aws_backend {

namespace {

using aws::ApiResult;
using aws::Client;

std::string text_of(const pugi::xml_document& doc, const char* xpath) {
  return doc.select_node(xpath).node().child_value();
}

// "the ECS cluster 'sit-cluster' does not exist in environment 'sit' (...): create it
// ..., or name the existing one with cluster = "..." in [environments.sit.aws]".
Error missing(const Environment& env, const std::string& what, const std::string& name,
              const std::string& key) {
  return make_error(what + " '" + name + "' does not exist in " + where(env) +
                    ": create it with your platform's Terraform, or name the existing one with " +
                    key + " = \"...\" in [environments." + env.name + ".aws]");
}

bool is_code(const aws::ApiError& error, std::initializer_list<const char*> codes) {
  for (const char* code : codes) {
    if (error.code == code) return true;
  }
  return false;
}

Status find_cluster(Client& client, const Environment& env, PlatformResources& out) {
  const AwsSettings& aws = *env.aws;
  TRY_ASSIGN(nlohmann::json answer,
             client.json(aws::kEcs, "DescribeClusters", {{"clusters", {aws.cluster}}}));
  for (const auto& cluster : answer.value("clusters", nlohmann::json::array())) {
    if (cluster.value("status", "") == "ACTIVE") {
      out.cluster_arn = cluster.value("clusterArn", "");
      return {};
    }
  }
  return missing(env, "the ECS cluster", aws.cluster, "cluster");
}

Status find_load_balancer(Client& client, const Environment& env, PlatformResources& out) {
  const AwsSettings& aws = *env.aws;
  auto balancers =
      client.query(aws::kElbV2, "DescribeLoadBalancers", {{"Names.member.1", aws.alb}});
  if (!balancers && is_code(balancers.error(), {"LoadBalancerNotFound"})) {
    return missing(env, "the load balancer", aws.alb, "alb");
  }
  TRY(balancers);
  out.load_balancer_arn = text_of(*balancers, "//LoadBalancers/member/LoadBalancerArn");
  out.load_balancer_dns = text_of(*balancers, "//LoadBalancers/member/DNSName");
  out.vpc_id = text_of(*balancers, "//LoadBalancers/member/VpcId");
  TRY_ASSIGN(auto pages, aws::all_query_pages(client, aws::kElbV2, "DescribeListeners",
                                              {{"LoadBalancerArn", out.load_balancer_arn}},
                                              "NextMarker"));
  for (const auto& page : pages) {
    for (const auto& listener : page.select_nodes("//Listeners/member")) {
      if (listener.node().child("Port").text().as_int() == aws.listener_port) {
        out.listener_arn = listener.node().child_value("ListenerArn");
        return {};
      }
    }
  }
  return make_error("the load balancer '" + aws.alb + "' in " + where(env) +
                    " has no listener on port " + std::to_string(aws.listener_port) +
                    ": add one with your platform's Terraform, or set listener_port in "
                    "[environments." + env.name + ".aws] to the port of the existing one");
}

// `efs` is a file system id or its Name tag (the console's name) or creation token.
Status find_file_system(Client& client, const Environment& env, PlatformResources& out) {
  const AwsSettings& aws = *env.aws;
  aws::QueryParams query;
  if (aws.efs.starts_with("fs-")) query.emplace_back("FileSystemId", aws.efs);
  auto pages = client.rest_json(aws::kEfs, "DescribeFileSystems", "GET",
                                "/2015-02-01/file-systems", query);
  if (!pages && is_code(pages.error(), {"FileSystemNotFound"})) {
    return missing(env, "the EFS file system", aws.efs, "efs");
  }
  TRY(pages);
  for (const auto& fs : pages->value("FileSystems", nlohmann::json::array())) {
    if (fs.value("FileSystemId", "") == aws.efs || fs.value("Name", "") == aws.efs ||
        fs.value("CreationToken", "") == aws.efs) {
      out.file_system_id = fs.value("FileSystemId", "");
      return {};
    }
  }
  return missing(env, "the EFS file system", aws.efs, "efs");
}

Status find_database_server(Client& client, const Environment& env, PlatformResources& out) {
  const AwsSettings& aws = *env.aws;
  auto instances = client.query(aws::kRds, "DescribeDBInstances",
                                {{"DBInstanceIdentifier", aws.rds_instance}});
  if (!instances && is_code(instances.error(), {"DBInstanceNotFound", "DBInstanceNotFoundFault"})) {
    return missing(env, "the RDS instance", aws.rds_instance, "rds_instance");
  }
  TRY(instances);
  out.rds_address = text_of(*instances, "//DBInstances/DBInstance/Endpoint/Address");
  const std::string port = text_of(*instances, "//DBInstances/DBInstance/Endpoint/Port");
  if (!port.empty()) out.rds_port = std::stoi(port);
  auto secret =
      client.json(aws::kSecretsManager, "DescribeSecret", {{"SecretId", aws.master_secret}});
  if (!secret && is_code(secret.error(), {"ResourceNotFoundException"})) {
    return missing(env, "the RDS master credentials secret", aws.master_secret, "master_secret");
  }
  TRY(secret);
  out.master_secret_arn = secret->value("ARN", "");
  return {};
}

Status find_role(Client& client, const Environment& env, PlatformResources& out) {
  const AwsSettings& aws = *env.aws;
  auto role = client.query(aws::kIam, "GetRole", {{"RoleName", aws.execution_role}});
  if (!role && is_code(role.error(), {"NoSuchEntity"})) {
    return missing(env, "the ECS task execution role", aws.execution_role, "execution_role");
  }
  TRY(role);
  out.execution_role_arn = text_of(*role, "//Role/Arn");
  return {};
}

Status find_log_group(Client& client, const Environment& env) {
  const AwsSettings& aws = *env.aws;
  TRY_ASSIGN(nlohmann::json answer, client.json(aws::kLogs, "DescribeLogGroups",
                                                {{"logGroupNamePrefix", aws.log_group}}));
  for (const auto& group : answer.value("logGroups", nlohmann::json::array())) {
    if (group.value("logGroupName", "") == aws.log_group) return {};
  }
  return missing(env, "the CloudWatch log group", aws.log_group, "log_group");
}

// Every subnet and security group named exists (and in the load balancer's VPC).
Status check_network(Client& client, const Environment& env, const PlatformResources& platform) {
  const AwsSettings& aws = *env.aws;
  struct Kind {
    const char* action;
    const char* id_param;
    const std::vector<std::string>& ids;
    const char* item_xpath;
    const char* id_element;
    const char* key;
  };
  const Kind kinds[] = {
      {"DescribeSubnets", "SubnetId", aws.subnets, "//subnetSet/item", "subnetId", "subnets"},
      {"DescribeSecurityGroups", "GroupId", aws.security_groups, "//securityGroupInfo/item",
       "groupId", "security_groups"}};
  for (const Kind& kind : kinds) {
    aws::QueryParams params;
    for (std::size_t i = 0; i < kind.ids.size(); ++i) {
      params.emplace_back(std::string(kind.id_param) + "." + std::to_string(i + 1), kind.ids[i]);
    }
    auto answer = client.query(aws::kEc2, kind.action, params);
    if (!answer && answer.error().code.ends_with(".NotFound")) {
      return make_error(answer.error().aws_message + " in " + where(env) + ": correct " + kind.key +
                        " in [environments." + env.name + ".aws] (`aws ec2 " +
                        (std::string(kind.key) == "subnets" ? "describe-subnets" : "describe-security-groups") +
                        "` lists them)");
    }
    TRY(answer);
    for (const auto& item : answer->select_nodes(kind.item_xpath)) {
      const std::string vpc = item.node().child_value("vpcId");
      if (!platform.vpc_id.empty() && vpc != platform.vpc_id) {
        return make_error(std::string(kind.key) + " " + item.node().child_value(kind.id_element) +
                          " is in " + vpc + ", not in the VPC of the load balancer (" +
                          platform.vpc_id + "): list the ones of " + platform.vpc_id +
                          " in [environments." + env.name + ".aws]");
      }
    }
  }
  return {};
}

}  // namespace

Result<const AwsSettings*> aws_settings(const Environment& env) {
  if (!env.aws) {
    return make_error("environment '" + env.name + "' has no [environments." + env.name +
                      ".aws] table; the aws backend needs one");
  }
  return &*env.aws;
}

std::string where(const Environment& env) {
  if (!env.aws) return "environment '" + env.name + "'";
  return "environment '" + env.name + "' (account " + env.aws->account_id + ", " +
         env.aws->region + ")";
}

Result<AwsPlatforms::Connection*> AwsPlatforms::connection(const Environment& env) {
  TRY_ASSIGN(const AwsSettings* aws, aws_settings(env));
  std::lock_guard lock(mutex_);
  Connection& connection = connections_[env.name];
  if (connection.client) return &connection;
  aws::ConnectOptions options;
  options.profile = aws->profile;
  options.region = aws->region;
  options.role_arn = aws->role_arn;
  options.role_session_name = "wpfleet-" + env.name;
  auto client = aws::connect(options, process_env_);
  if (!client) {
    return make_error("cannot connect to AWS for " + where(env) + ": " + client.error().message);
  }
  TRY_ASSIGN(aws::CallerIdentity identity, aws::get_caller_identity(*client));
  if (identity.account != aws->account_id) {
    return make_error("the credentials of " + client->config().credentials_source +
                      " belong to account " + identity.account + " (" + identity.arn +
                      "), but [environments." + env.name + ".aws] says account_id = \"" +
                      aws->account_id + "\": use that account's profile or role_arn, or correct "
                      "account_id; nothing was changed");
  }
  connection.client = std::make_unique<Client>(std::move(client).value());
  return &connection;
}

Result<aws::Client*> AwsPlatforms::client(const Environment& env) {
  TRY_ASSIGN(Connection * connection, connection(env));
  return connection->client.get();
}

Result<const PlatformResources*> AwsPlatforms::platform(const Environment& env) {
  TRY_ASSIGN(Connection * connection, connection(env));
  std::lock_guard looking_up(connection->lookup);
  {
    std::lock_guard lock(mutex_);
    if (connection->platform) return connection->platform.get();
  }
  Client& client = *connection->client;
  auto platform = std::make_unique<PlatformResources>();
  platform->account = env.aws->account_id;
  TRY(find_cluster(client, env, *platform));
  TRY(find_load_balancer(client, env, *platform));
  TRY(check_network(client, env, *platform));
  TRY(find_file_system(client, env, *platform));
  TRY(find_database_server(client, env, *platform));
  TRY(find_role(client, env, *platform));
  TRY(find_log_group(client, env));
  std::lock_guard lock(mutex_);
  connection->platform = std::move(platform);
  return connection->platform.get();
}

Result<Connected> AwsPlatforms::connect(const Environment& env) {
  TRY_ASSIGN(aws::Client * client, this->client(env));
  TRY_ASSIGN(const PlatformResources* platform, this->platform(env));
  return Connected{*client, *platform};
}

}  // namespace wpfleet::aws_backend
