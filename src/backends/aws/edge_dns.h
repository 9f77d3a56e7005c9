// The name visitors reach an aws environment by, "*.{suffix}" for a domain
// "{tenant}.{suffix}": a certificate for it on the CloudFront distribution, and a Route 53
// alias record sending it to the distribution.
//
//   certificate  the distribution's own ACM certificate is kept when it covers the name
//                and is issued; otherwise a wildcard certificate is found or requested in
//                us-east-1 (the only region CloudFront takes certificates from) with DNS
//                validation, its validation record written in the hosted zone, and waited
//                for (AWS issues it within minutes of seeing the record)
//   DNS          A and AAAA alias records "*.{suffix}" -> the distribution, in the public
//                hosted zone of the account whose name is the suffix or its nearest parent
//
// A suffix whose zone is in another account (a delegated parent, say) has no record
// written here; a certificate it lacks is then an error naming the record to add there.
#pragma once

#include <optional>
#include <pugixml.hpp>
#include <string>

#include "aws/client.h"
#include "fleet/model.h"

namespace wpfleet::aws_backend {

struct HostedZone {
  std::string id;    // "Z0123456789ABC"
  std::string name;  // "wpsit.kimmyai.io", without the final dot
};

// The public zone whose name is `suffix` or its nearest parent; nullopt when none.
Result<std::optional<HostedZone>> find_hosted_zone(aws::Client& client, const std::string& suffix);

// The ARN of an issued certificate covering `alias` for `config`'s distribution: the one
// it has, or one found or requested (and validated through `zone`) that the caller puts
// on the distribution with set_viewer_certificate. The bool: whether it is new to it.
struct CertificateChoice {
  std::string arn;
  bool changed = false;
};
Result<CertificateChoice> ensure_certificate(aws::Client& client, const Environment& env,
                                             const std::string& alias,
                                             const std::optional<HostedZone>& zone,
                                             const pugi::xml_document& config);
void set_viewer_certificate(pugi::xml_document& config, const std::string& arn);

// Writes the alias records when they are missing or point elsewhere.
Status ensure_alias_record(aws::Client& client, const HostedZone& zone, const std::string& alias,
                           const std::string& distribution_domain);

// What is wrong with the certificate of `config`'s distribution and with the alias
// records (when the account has the zone), in words; empty when nothing.
Result<std::string> certificate_problem(aws::Client& client, const std::string& alias,
                                        const pugi::xml_document& config);
Result<std::string> alias_record_problem(aws::Client& client, const HostedZone& zone,
                                         const std::string& alias,
                                         const std::string& distribution_domain);

}  // namespace wpfleet::aws_backend
