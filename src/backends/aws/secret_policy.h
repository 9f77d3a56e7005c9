// IAM policy documents that let the ECS task execution role read one secret (a
// tenant's, or the RDS master secret for the db-init task), and the reading of the
// user's own documents to tell whether one already does. Pure text.
#pragma once

#include <string>
#include <vector>

namespace wpfleet::aws_backend {

// The ARN partition of a region: "aws-cn" for cn-*, "aws-us-gov" for us-gov-*, else "aws".
std::string arn_partition(const std::string& region);

// The ARN of the secret `name` with the six characters Secrets Manager appends to every
// secret's ARN left as wildcards: "arn:aws:secretsmanager:<region>:<account>:secret:
// <name>-??????". It matches that one secret (a longer name cannot fit the six `?`),
// before it exists too.
std::string secret_arn_pattern(const std::string& region, const std::string& account,
                               const std::string& name);

// A policy document (JSON text) allowing secretsmanager:GetSecretValue on `resources`.
std::string secret_read_policy(const std::vector<std::string>& resources);

// IAM's wildcard match: `*` any run of characters, `?` any one.
bool iam_wildcard_match(const std::string& pattern, const std::string& value);

// A policy document as GetRolePolicy answers it (URL-encoded on AWS, as is on some
// emulators) as JSON text.
std::string decode_policy_document(const std::string& text);

// Whether the policy document (JSON, or URL-encoded JSON as GetRolePolicy returns it)
// allows secretsmanager:GetSecretValue on `secret_arn` (an ARN, or a pattern such as
// secret_arn_pattern() when the secret does not exist yet): an Allow statement whose
// Action and Resource match it, and no Deny statement that does.
bool policy_allows_secret_read(const std::string& document, const std::string& secret_arn);

}  // namespace wpfleet::aws_backend
