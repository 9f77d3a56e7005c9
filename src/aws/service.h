// The AWS services the client speaks to: how each is named, addressed and signed.
#pragma once

#include <string>

namespace wpfleet::aws {

struct Service {
  const char* id;               // the SDKs' serviceId; names AWS_ENDPOINT_URL_<ID>
  const char* endpoint_prefix;  // <prefix>.<region>.amazonaws.com
  const char* signing_name;     // the service in the SigV4 scope
  const char* query_version;    // query protocol: the Version parameter
  const char* json_target;      // JSON 1.1: X-Amz-Target is "<json_target>.<Action>"
  bool global = false;          // one endpoint for all regions, signed for us-east-1
  // S3's signing: the path signed as sent (no "." or "//" clean-up) and the body's hash
  // in x-amz-content-sha256, which S3 requires.
  bool s3_signing = false;
};

inline constexpr Service kSts{"STS", "sts", "sts", "2011-06-15", ""};
inline constexpr Service kIam{"IAM", "iam", "iam", "2010-05-08", "", true};
inline constexpr Service kElbV2{"Elastic Load Balancing v2", "elasticloadbalancing",
                                "elasticloadbalancing", "2015-12-01", ""};
inline constexpr Service kRds{"RDS", "rds", "rds", "2014-10-31", ""};
inline constexpr Service kEcs{"ECS", "ecs", "ecs", "", "AmazonEC2ContainerServiceV20141113"};
inline constexpr Service kSecretsManager{"Secrets Manager", "secretsmanager", "secretsmanager",
                                         "", "secretsmanager"};
inline constexpr Service kLogs{"CloudWatch Logs", "logs", "logs", "", "Logs_20140328"};
inline constexpr Service kEc2{"EC2", "ec2", "ec2", "2016-11-15", ""};
inline constexpr Service kEfs{"EFS", "elasticfilesystem", "elasticfilesystem", "", ""};
inline constexpr Service kS3{"S3", "s3", "s3", "", "", false, true};
inline constexpr Service kCloudFront{"CloudFront", "cloudfront", "cloudfront", "", "", true};
inline constexpr Service kRoute53{"Route 53", "route53", "route53", "", "", true};
// ACM in us-east-1 alone, whatever the client's region: where CloudFront takes its
// certificates from.
inline constexpr Service kAcmUsEast1{"ACM", "acm.us-east-1", "acm", "", "CertificateManager",
                                     true};
inline constexpr Service kCloudWatch{"CloudWatch", "monitoring", "monitoring", "2010-08-01", ""};
// Cost Explorer answers in us-east-1 only (ce.us-east-1.amazonaws.com).
inline constexpr Service kCostExplorer{"Cost Explorer", "ce.us-east-1", "ce", "",
                                       "AWSInsightsIndexService", true};

// The suffix of AWS_ENDPOINT_URL_<SERVICE>, as the SDKs derive it: the serviceId
// upper-cased with spaces as underscores ("Secrets Manager" -> "SECRETS_MANAGER").
std::string endpoint_env_suffix(const Service& service);

}  // namespace wpfleet::aws
