#include "backends/aws/edge_dns.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "aws/pagination.h"
#include "backends/aws/names.h"
#include "backends/aws/platform.h"
#include "backends/aws/waiting.h"
#include "util/crypto.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

constexpr const char* kApi = "/2013-04-01";
constexpr const char* kNamespace = "https://route53.amazonaws.com/doc/2013-04-01/";
// The hosted zone every CloudFront distribution's alias target is in (AWS's, fixed).
constexpr const char* kCloudFrontZone = "Z2FDTNDATAQYW2";

// DNS names compare without case and without the final dot; Route 53 writes "*" as
// "\052" in what it lists.
std::string dns_name(std::string name) {
  if (name.starts_with("\\052")) name = "*" + name.substr(4);
  if (name.ends_with('.')) name.pop_back();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

struct Certificate {
  std::string arn;
  std::string status;  // ISSUED, PENDING_VALIDATION, ...
  std::vector<std::string> names;
  std::optional<std::pair<std::string, std::string>> validation_record;  // CNAME name -> value
};

Result<Certificate> describe_certificate(aws::Client& client, const std::string& arn) {
  TRY_ASSIGN(const json got, client.json(aws::kAcmUsEast1, "DescribeCertificate", {{"CertificateArn", arn}}));
  const json& c = got.value("Certificate", json::object());
  Certificate out{arn, c.value("Status", ""), {}, std::nullopt};
  out.names.push_back(c.value("DomainName", ""));
  for (const auto& name : c.value("SubjectAlternativeNames", json::array())) out.names.push_back(name);
  for (const auto& option : c.value("DomainValidationOptions", json::array())) {
    const json& record = option.value("ResourceRecord", json::object());
    if (record.contains("Name")) out.validation_record = {{record.value("Name", ""), record.value("Value", "")}};
  }
  return out;
}

bool covers(const Certificate& certificate, const std::string& alias) {
  return std::any_of(certificate.names.begin(), certificate.names.end(),
                     [&](const std::string& name) { return dns_name(name) == dns_name(alias); });
}

std::string current_certificate(const pugi::xml_document& config) {
  return config.select_node("/DistributionConfig/ViewerCertificate/ACMCertificateArn").node().child_value();
}

std::string record_set(const std::string& name, const std::string& type, const std::string& inner) {
  return "<Change><Action>UPSERT</Action><ResourceRecordSet><Name>" + name + "</Name><Type>" + type +
         "</Type>" + inner + "</ResourceRecordSet></Change>";
}

Status change_records(aws::Client& client, const HostedZone& zone, const std::string& comment,
                      const std::string& changes) {
  const std::string body = std::string("<ChangeResourceRecordSetsRequest xmlns=\"") + kNamespace +
                           "\"><ChangeBatch><Comment>" + comment + "</Comment><Changes>" + changes +
                           "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>";
  TRY(client.rest_xml(aws::kRoute53, "ChangeResourceRecordSets", "POST",
                      std::string(kApi) + "/hostedzone/" + zone.id + "/rrset/", {}, {}, body));
  return {};
}

// What the zone's record `name` of `type` holds: its alias target, else its first value
// (names in dns_name's form); nullopt when there is none.
Result<std::optional<std::string>> record_of(aws::Client& client, const HostedZone& zone,
                                             const std::string& name, const std::string& type) {
  TRY_ASSIGN(const aws::RestXmlReply got,
             client.rest_xml(aws::kRoute53, "ListResourceRecordSets", "GET",
                             std::string(kApi) + "/hostedzone/" + zone.id + "/rrset",
                             {{"name", name}, {"type", type}, {"maxitems", "1"}}));
  const pugi::xml_node set = got.xml.select_node("//ResourceRecordSets/ResourceRecordSet").node();
  if (!set || dns_name(set.child_value("Name")) != dns_name(name) || type != set.child_value("Type")) {
    return std::optional<std::string>();
  }
  if (set.child("AliasTarget")) return std::optional<std::string>(dns_name(set.child("AliasTarget").child_value("DNSName")));
  return std::optional<std::string>(dns_name(set.select_node("ResourceRecords/ResourceRecord/Value").node().child_value()));
}

// The CNAME ACM validates (and renews) a certificate by, written when missing.
Status ensure_validation_record(aws::Client& client, const HostedZone& zone, const std::string& alias,
                                const std::pair<std::string, std::string>& record) {
  const auto& [name, value] = record;
  TRY_ASSIGN(const std::optional<std::string> held, record_of(client, zone, name, "CNAME"));
  if (held == dns_name(value)) return {};
  return change_records(client, zone, "ACM validation of " + alias + " (wpfleet)",
                        record_set(name, "CNAME",
                                   "<TTL>300</TTL><ResourceRecords><ResourceRecord><Value>" + value +
                                       "</Value></ResourceRecord></ResourceRecords>"));
}

// An issued certificate of this account covering `alias`, else one waiting for its
// validation; nullopt when there is neither.
Result<std::optional<Certificate>> find_certificate(aws::Client& client, const std::string& alias) {
  TRY_ASSIGN(const auto pages, aws::all_json_pages(client, aws::kAcmUsEast1, "ListCertificates",
                                                   {{"CertificateStatuses", {"ISSUED", "PENDING_VALIDATION"}}}));
  std::optional<Certificate> pending;
  for (const auto& page : pages) {
    for (const auto& summary : page.value("CertificateSummaryList", json::array())) {
      TRY_ASSIGN(Certificate certificate, describe_certificate(client, summary.value("CertificateArn", "")));
      if (!covers(certificate, alias)) continue;
      if (certificate.status == "ISSUED") return std::optional<Certificate>(certificate);
      if (certificate.status == "PENDING_VALIDATION") pending = certificate;
    }
  }
  return pending;
}

Result<Certificate> request_certificate(aws::Client& client, const Environment& env, const std::string& alias) {
  json tags = json::array();
  for (const auto& [key, value] : environment_tags(env.name)) tags.push_back({{"Key", key}, {"Value", value}});
  // The same token for every try: a request whose answer was lost is one certificate.
  const std::string token = "wpfleet" + sha256_hex(env.name + "/" + alias).substr(0, 24);
  TRY_ASSIGN(const json made, client.json(aws::kAcmUsEast1, "RequestCertificate",
                                          {{"DomainName", alias},
                                           {"ValidationMethod", "DNS"},
                                           {"IdempotencyToken", token},
                                           {"Tags", tags}}));
  std::cerr << env.name << ": requested the certificate " << made.value("CertificateArn", "") << " for "
            << alias << " in us-east-1 (CloudFront takes certificates from there alone)\n";
  return describe_certificate(client, made.value("CertificateArn", ""));
}

}  // namespace

Result<std::optional<HostedZone>> find_hosted_zone(aws::Client& client, const std::string& suffix) {
  for (std::string name = dns_name(suffix); name.find('.') != std::string::npos;
       name = name.substr(name.find('.') + 1)) {
    TRY_ASSIGN(const aws::RestXmlReply got,
               client.rest_xml(aws::kRoute53, "ListHostedZonesByName", "GET",
                               std::string(kApi) + "/hostedzonesbyname", {{"dnsname", name}, {"maxitems", "1"}}));
    const pugi::xml_node zone = got.xml.select_node("//HostedZones/HostedZone").node();
    if (!zone || dns_name(zone.child_value("Name")) != name) continue;
    if (std::string(zone.child("Config").child_value("PrivateZone")) == "true") continue;
    std::string id = zone.child_value("Id");
    if (id.starts_with("/hostedzone/")) id = id.substr(12);
    return std::optional<HostedZone>(HostedZone{id, name});
  }
  return std::optional<HostedZone>();
}

Result<CertificateChoice> ensure_certificate(aws::Client& client, const Environment& env,
                                             const std::string& alias,
                                             const std::optional<HostedZone>& zone,
                                             const pugi::xml_document& config) {
  if (const std::string arn = current_certificate(config); !arn.empty()) {
    TRY_ASSIGN(const Certificate current, describe_certificate(client, arn));
    if (current.status == "ISSUED" && covers(current, alias)) return CertificateChoice{arn, false};
  }
  TRY_ASSIGN(std::optional<Certificate> found, find_certificate(client, alias));
  if (!found) {
    TRY_ASSIGN(found, request_certificate(client, env, alias));
  }
  const std::string arn = found->arn;
  // ACM names the record it wants a few seconds after the request.
  const Wait named{"ACM to name the validation record of " + arn, env.name + ": ", std::chrono::seconds(5),
                   std::chrono::minutes(5), "it usually takes seconds"};
  TRY(wait_until_done(
      named,
      [&]() -> Result<std::optional<std::string>> {
        if (found->validation_record || found->status == "ISSUED") return std::optional<std::string>();
        TRY_ASSIGN(*found, describe_certificate(client, arn));
        return found->validation_record ? std::optional<std::string>() : std::optional<std::string>(found->status);
      },
      "run `wpfleet apply` again"));
  // The record stays: ACM renews the certificate by finding it again.
  if (zone && found->validation_record) TRY(ensure_validation_record(client, *zone, alias, *found->validation_record));
  if (found->status == "ISSUED") return CertificateChoice{arn, true};
  if (!zone) {
    const auto& [record, value] = *found->validation_record;
    return make_error("the certificate " + arn + " for " + alias + " waits for its DNS validation, and " +
                      where(env) + " has no hosted zone of " + alias.substr(2) +
                      ": add the record CNAME " + record + " -> " + value +
                      " where that name's zone is, then run `wpfleet apply` again");
  }
  const Wait issued{"ACM to issue the certificate " + arn + " for " + alias, env.name + ": ",
                    std::chrono::seconds(15), std::chrono::minutes(30), "it usually takes a few"};
  TRY(wait_until_done(
      issued,
      [&]() -> Result<std::optional<std::string>> {
        TRY_ASSIGN(const Certificate now, describe_certificate(client, arn));
        if (now.status == "ISSUED") return std::optional<std::string>();
        return std::optional<std::string>(now.status);
      },
      "check the record " + found->validation_record->first + " in the zone " + zone->name +
          ", then run `wpfleet apply` again"));
  return CertificateChoice{arn, true};
}

void set_viewer_certificate(pugi::xml_document& config, const std::string& arn) {
  pugi::xml_node root = config.child("DistributionConfig");
  pugi::xml_node viewer = root.child("ViewerCertificate");
  if (!viewer) viewer = root.insert_child_after("ViewerCertificate", root.child("Enabled"));
  while (viewer.first_child()) viewer.remove_child(viewer.first_child());
  viewer.append_child("CloudFrontDefaultCertificate").text() = "false";
  viewer.append_child("ACMCertificateArn").text() = arn.c_str();
  viewer.append_child("SSLSupportMethod").text() = "sni-only";
  viewer.append_child("MinimumProtocolVersion").text() = "TLSv1.2_2021";
  viewer.append_child("Certificate").text() = arn.c_str();
  viewer.append_child("CertificateSource").text() = "acm";
}

Status ensure_alias_record(aws::Client& client, const HostedZone& zone, const std::string& alias,
                           const std::string& distribution_domain) {
  TRY_ASSIGN(const std::string problem, alias_record_problem(client, zone, alias, distribution_domain));
  if (problem.empty()) return {};
  const std::string target = std::string("<AliasTarget><HostedZoneId>") + kCloudFrontZone +
                             "</HostedZoneId><DNSName>" + distribution_domain +
                             "</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>";
  return change_records(client, zone, alias + " to CloudFront (wpfleet)",
                        record_set(alias, "A", target) + record_set(alias, "AAAA", target));
}

Result<std::string> certificate_problem(aws::Client& client, const std::string& alias,
                                        const pugi::xml_document& config) {
  const std::string arn = current_certificate(config);
  if (arn.empty()) return "the distribution has no ACM certificate for " + alias;
  TRY_ASSIGN(const Certificate current, describe_certificate(client, arn));
  if (!covers(current, alias)) return "its certificate " + arn + " does not cover " + alias;
  if (current.status != "ISSUED") return "its certificate " + arn + " is " + current.status;
  return std::string();
}

Result<std::string> alias_record_problem(aws::Client& client, const HostedZone& zone,
                                         const std::string& alias,
                                         const std::string& distribution_domain) {
  for (const char* type : {"A", "AAAA"}) {
    TRY_ASSIGN(const std::optional<std::string> target, record_of(client, zone, alias, type));
    if (target != dns_name(distribution_domain)) {
      return std::string("the ") + type + " record " + alias + " in the zone " + zone.name +
             (target ? " points to " + *target + ", not the distribution" : " is missing");
    }
  }
  return std::string();
}

}  // namespace wpfleet::aws_backend
