#include "aws_sit_fixture.h"

#include <stdexcept>
#include <utility>

#include "util/crypto.h"

namespace wpfleet::testing {

namespace {

using nlohmann::json;

template <class T>
T check(aws::ApiResult<T> result) {
  if (!result) throw std::runtime_error("SIT fixture: " + result.error().message);
  return std::move(result).value();
}

// The text at `xpath`; a call whose answer lacks it failed as surely as an error.
std::string required(const pugi::xml_document& answer, const char* xpath) {
  std::string text = answer.select_node(xpath).node().child_value();
  if (text.empty()) {
    throw std::runtime_error(std::string("SIT fixture: no ") + xpath + " in answer");
  }
  return text;
}

std::string password() {
  auto generated = random_password(24);
  if (!generated) throw std::runtime_error("SIT fixture: " + generated.error().message);
  return *generated;
}

// A container's own memory limit, which Fargate does not need but moto's RunTask does
// (it adds up the containers' limits and fails on a missing one).
constexpr int kContainerMemory = 512;

json awslogs(const std::string& group, const std::string& region, const std::string& prefix) {
  return {
      {"logDriver", "awslogs"},
      {"options",
       {{"awslogs-group", group}, {"awslogs-region", region}, {"awslogs-stream-prefix", prefix}}}};
}

// Builds the platform one piece at a time, each piece reading the ids the earlier
// ones recorded.
class SitBuilder {
 public:
  SitBuilder(aws::Client& client, std::string env, std::string domain_suffix,
             std::map<std::string, int> tenants)
      : client_(client),
        env_(std::move(env)),
        domain_suffix_(std::move(domain_suffix)),
        tenants_(std::move(tenants)) {}

  SitFixture build() {
    network();
    cluster_role_and_logs();
    database();
    file_system();
    load_balancer();
    distribution();
    db_init_task_definition();
    for (const auto& [tenant, priority] : tenants_) add_tenant(tenant, priority);
    fixture_.tenant_priorities = tenants_;
    return fixture_;
  }

 private:
  std::string name(const std::string& suffix) const { return env_ + "-" + suffix; }
  std::string log_group() const { return "/ecs/" + env_; }

  void network() {
    fixture_.vpc_id =
        required(check(client_.query(aws::kEc2, "CreateVpc", {{"CidrBlock", "10.2.0.0/16"}})),
                 "//vpc/vpcId");
    // DNS host names on, as a VPC whose tasks mount EFS by name has them; moto's Fargate
    // RunTask needs them too (it fails naming the task's network interface without).
    check(client_.query(aws::kEc2, "ModifyVpcAttribute",
                        {{"VpcId", fixture_.vpc_id}, {"EnableDnsHostnames.Value", "true"}}));
    for (const auto& [cidr, zone] :
         {std::pair{"10.2.1.0/24", "us-east-1a"}, std::pair{"10.2.2.0/24", "us-east-1b"}}) {
      fixture_.subnets.push_back(required(
          check(client_.query(
              aws::kEc2, "CreateSubnet",
              {{"VpcId", fixture_.vpc_id}, {"CidrBlock", cidr}, {"AvailabilityZone", zone}})),
          "//subnet/subnetId"));
    }
    // No spaces in the description: moto checks the signature of a query call over the
    // form it re-encodes with '+' for a space, where AWS (and our client) sign %20.
    fixture_.security_groups.push_back(
        required(check(client_.query(aws::kEc2, "CreateSecurityGroup",
                                     {{"GroupName", name("ecs-tasks-sg")},
                                      {"GroupDescription", "ECS-tasks-of-" + env_},
                                      {"VpcId", fixture_.vpc_id}})),
                 "//groupId"));
  }

  void cluster_role_and_logs() {
    check(client_.json(aws::kEcs, "CreateCluster", {{"clusterName", name("cluster")}}));
    execution_role_arn_ = required(
        check(client_.query(
            aws::kIam, "CreateRole",
            {{"RoleName", name("ecs-task-execution-role")},
             {"AssumeRolePolicyDocument",
              R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
              R"("Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]})"}})),
        "//Role/Arn");
    check(client_.json(aws::kLogs, "CreateLogGroup", {{"logGroupName", log_group()}}));
  }

  // The endpoint comes from a describe: AWS gives it only once the instance is up.
  void database() {
    const std::string master_password = password();
    check(client_.query(aws::kRds, "CreateDBInstance",
                        {{"DBInstanceIdentifier", name("mysql")},
                         {"DBInstanceClass", "db.t3.micro"},
                         {"Engine", "mysql"},
                         {"MasterUsername", "admin"},
                         {"MasterUserPassword", master_password},
                         {"AllocatedStorage", "20"}}));
    fixture_.rds_endpoint =
        required(check(client_.query(aws::kRds, "DescribeDBInstances",
                                     {{"DBInstanceIdentifier", name("mysql")}})),
                 "//DBInstance/Endpoint/Address");
    create_secret(name("rds-master-credentials"), {{"username", "admin"},
                                                   {"password", master_password},
                                                   {"host", fixture_.rds_endpoint},
                                                   {"port", 3306}});
  }

  std::string create_secret(const std::string& secret_name, const json& value) {
    return check(client_.json(aws::kSecretsManager, "CreateSecret",
                              {{"Name", secret_name}, {"SecretString", value.dump()}}))["ARN"];
  }

  void file_system() {
    fixture_.efs_id = check(
        client_.rest_json(aws::kEfs, "CreateFileSystem", "POST", "/2015-02-01/file-systems", {},
                          {{"CreationToken", name("efs")},
                           {"Tags", {{{"Key", "Name"}, {"Value", name("efs")}}}}}))["FileSystemId"];
  }

  void load_balancer() {
    const pugi::xml_document balancer =
        check(client_.query(aws::kElbV2, "CreateLoadBalancer",
                                     {{"Name", name("alb")},
                                      {"Subnets.member.1", fixture_.subnets[0]},
                                      {"Subnets.member.2", fixture_.subnets[1]},
                                      {"SecurityGroups.member.1", fixture_.security_groups[0]},
                                      {"Scheme", "internet-facing"},
                                      {"Type", "application"}}));
    const std::string alb_arn = required(balancer, "//LoadBalancers/member/LoadBalancerArn");
    alb_dns_ = required(balancer, "//LoadBalancers/member/DNSName");
    fixture_.listener_arn =
        required(check(client_.query(
                     aws::kElbV2, "CreateListener",
                     {{"LoadBalancerArn", alb_arn},
                      {"Protocol", "HTTP"},
                      {"Port", "80"},
                      {"DefaultActions.member.1.Type", "fixed-response"},
                      {"DefaultActions.member.1.FixedResponseConfig.StatusCode", "404"},
                      {"DefaultActions.member.1.FixedResponseConfig.ContentType", "text/plain"}})),
                 "//Listeners/member/ListenerArn");
  }

  // The distribution in front of the ALB for every tenant's name (HTTP to the origin, as
  // the ALB's listener is HTTP), without any function yet, with the wildcard certificate
  // CloudFront needs for that name (ACM, us-east-1); and the public hosted zone of the
  // suffix, without records yet.
  void distribution() {
    const json certificate = check(client_.json(
        aws::kAcmUsEast1, "RequestCertificate",
        {{"DomainName", "*." + domain_suffix_}, {"ValidationMethod", "DNS"}}));
    const std::string zone =
        "<CreateHostedZoneRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Name>" +
        domain_suffix_ + "</Name><CallerReference>" + name("zone") + "</CallerReference></CreateHostedZoneRequest>";
    const aws::RestXmlReply zone_made = check(
        client_.rest_xml(aws::kRoute53, "CreateHostedZone", "POST", "/2013-04-01/hostedzone", {}, {}, zone));
    fixture_.hosted_zone_id = zone_made.xml.select_node("//HostedZone/Id").node().child_value();
    if (fixture_.hosted_zone_id.starts_with("/hostedzone/")) fixture_.hosted_zone_id.erase(0, 12);
    const std::string config =
        "<DistributionConfig xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">"
        "<CallerReference>" + name("wordpress") + "</CallerReference>"
        "<Aliases><Quantity>1</Quantity><Items><CNAME>*." + domain_suffix_ + "</CNAME></Items></Aliases>"
        "<Origins><Quantity>1</Quantity><Items><Origin><Id>" + name("alb") + "</Id><DomainName>" +
        alb_dns_ + "</DomainName><CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort>"
        "<OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig></Origin></Items></Origins>"
        "<DefaultCacheBehavior><TargetOriginId>" + name("alb") + "</TargetOriginId>"
        "<ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy></DefaultCacheBehavior>"
        "<Comment>" + name("wordpress") + "</Comment><Enabled>true</Enabled>"
        "<ViewerCertificate><ACMCertificateArn>" + certificate["CertificateArn"].get<std::string>() +
        "</ACMCertificateArn><SSLSupportMethod>sni-only</SSLSupportMethod>"
        "<MinimumProtocolVersion>TLSv1.2_2021</MinimumProtocolVersion></ViewerCertificate></DistributionConfig>";
    const aws::RestXmlReply made =
        check(client_.rest_xml(aws::kCloudFront, "CreateDistribution", "POST",
                               "/2020-05-31/distribution", {}, {{"Content-Type", "application/xml"}},
                               config));
    fixture_.distribution_id = made.xml.select_node("//Distribution/Id").node().child_value();
    if (fixture_.distribution_id.empty()) throw std::runtime_error("SIT fixture: no distribution id");
  }

  // The user's task definitions: Fargate, 256 CPU units and 512 MiB, run by the execution
  // role, one essential container logging to the log group under `stream_prefix`.
  void register_task_definition(const std::string& family, json container,
                                const std::string& stream_prefix) {
    container["essential"] = true;
    container["memory"] = kContainerMemory;
    container["logConfiguration"] = awslogs(log_group(), client_.config().region, stream_prefix);
    check(client_.json(aws::kEcs, "RegisterTaskDefinition",
                       {{"family", family},
                        {"requiresCompatibilities", {"FARGATE"}},
                        {"networkMode", "awsvpc"},
                        {"cpu", "256"},
                        {"memory", "512"},
                        {"executionRoleArn", execution_role_arn_},
                        {"containerDefinitions", json::array({container})}}));
  }

  void db_init_task_definition() {
    register_task_definition(name("generic-db-init"),
                             {{"name", "mysql-client"}, {"image", "mysql:8.0"}}, "db-init");
  }

  void add_tenant(const std::string& tenant, int priority) {
    const std::string secret_arn =
        create_secret(name(tenant + "-db-credentials"), {{"username", tenant + "_user"},
                                                         {"password", password()},
                                                         {"database", tenant + "_db"},
                                                         {"host", fixture_.rds_endpoint},
                                                         {"port", 3306}});
    allow_secret(tenant, secret_arn);
    add_access_point(tenant);
    const std::string target_group_arn = add_target_group(tenant);
    add_rule(tenant, priority, target_group_arn);
    register_site_task_definition(tenant, secret_arn);
    add_service(tenant, target_group_arn);
  }

  void allow_secret(const std::string& tenant, const std::string& secret_arn) {
    const json policy = {{"Version", "2012-10-17"},
                         {"Statement",
                          {{{"Effect", "Allow"},
                            {"Action", "secretsmanager:GetSecretValue"},
                            {"Resource", secret_arn}}}}};
    check(client_.query(aws::kIam, "PutRolePolicy",
                        {{"RoleName", name("ecs-task-execution-role")},
                         {"PolicyName", name("ecs-secrets-access-" + tenant)},
                         {"PolicyDocument", policy.dump()}}));
  }

  void add_access_point(const std::string& tenant) {
    check(client_.rest_json(
        aws::kEfs, "CreateAccessPoint", "POST", "/2015-02-01/access-points", {},
        {{"ClientToken", name(tenant)},
         {"FileSystemId", fixture_.efs_id},
         {"PosixUser", {{"Uid", 33}, {"Gid", 33}}},
         {"RootDirectory",
          {{"Path", "/" + tenant},
           {"CreationInfo", {{"OwnerUid", 33}, {"OwnerGid", 33}, {"Permissions", "0755"}}}}}}));
  }

  std::string add_target_group(const std::string& tenant) {
    return required(check(client_.query(aws::kElbV2, "CreateTargetGroup",
                                        {{"Name", name(tenant + "-tg")},
                                         {"Protocol", "HTTP"},
                                         {"Port", "80"},
                                         {"VpcId", fixture_.vpc_id},
                                         {"TargetType", "ip"},
                                         {"HealthCheckPath", "/"},
                                         {"Matcher.HttpCode", "200,301,302"}})),
                    "//TargetGroups/member/TargetGroupArn");
  }

  void add_rule(const std::string& tenant, int priority, const std::string& target_group_arn) {
    check(client_.query(
        aws::kElbV2, "CreateRule",
        {{"ListenerArn", fixture_.listener_arn},
         {"Priority", std::to_string(priority)},
         {"Conditions.member.1.Field", "host-header"},
         {"Conditions.member.1.HostHeaderConfig.Values.member.1", tenant + "." + domain_suffix_},
         {"Actions.member.1.Type", "forward"},
         {"Actions.member.1.TargetGroupArn", target_group_arn}}));
  }

  void register_site_task_definition(const std::string& tenant, const std::string& secret_arn) {
    register_task_definition(
        name(tenant),
        {{"name", "wordpress"},
         {"image", "wordpress:latest"},
         {"portMappings", {{{"containerPort", 80}, {"protocol", "tcp"}}}},
         {"secrets",
          {{{"name", "WORDPRESS_DB_PASSWORD"}, {"valueFrom", secret_arn + ":password::"}}}}},
        tenant);
  }

  void add_service(const std::string& tenant, const std::string& target_group_arn) {
    check(client_.json(
        aws::kEcs, "CreateService",
        {{"cluster", name("cluster")},
         {"serviceName", name(tenant + "-service")},
         {"taskDefinition", name(tenant)},
         {"desiredCount", 1},
         {"launchType", "FARGATE"},
         {"loadBalancers",
          {{{"targetGroupArn", target_group_arn},
            {"containerName", "wordpress"},
            {"containerPort", 80}}}},
         {"networkConfiguration",
          {{"awsvpcConfiguration",
            {{"subnets", fixture_.subnets}, {"securityGroups", fixture_.security_groups}}}}}}));
  }

  aws::Client& client_;
  const std::string env_;
  const std::string domain_suffix_;
  const std::map<std::string, int> tenants_;
  std::string execution_role_arn_;
  std::string alb_dns_;
  SitFixture fixture_;
};

}  // namespace

const std::map<std::string, int>& sit_tenants() {
  static const std::map<std::string, int> tenants = {{"goldencrust", 140},
                                                     {"tenant1", 150},
                                                     {"tenant2", 160},
                                                     {"sunsetbistro", 170},
                                                     {"sterlinglaw", 180}};
  return tenants;
}

SitFixture make_user_sit(aws::Client& client, const std::string& env,
                         const std::string& domain_suffix,
                         const std::map<std::string, int>& tenants) {
  return SitBuilder(client, env, domain_suffix, tenants).build();
}

}  // namespace wpfleet::testing
