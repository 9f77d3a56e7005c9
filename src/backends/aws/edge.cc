#include "backends/aws/edge.h"

#include <strings.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "backends/aws/cloudfront.h"
#include "backends/aws/edge_dns.h"
#include "backends/aws/edge_function.h"
#include "backends/aws/names.h"
#include "backends/aws/target_group.h"
#include "backends/aws/tenant_secret.h"
#include "backends/aws/waiting.h"
#include "state/secret_store.h"
#include "util/crypto.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

// 48 characters of [A-Za-z0-9]: ALB compares header values without case, which leaves
// 36^48 (about 2^248) values to guess.
constexpr std::size_t kOriginValueLength = 48;
constexpr std::size_t kPasswordLength = 32;
constexpr auto kDeployPoll = std::chrono::seconds(15);
constexpr auto kDeployTimeout = std::chrono::minutes(30);

// --- the environment's secrets ----------------------------------------------------------

// The secret's SecretString; nullopt when no secret has the name. One scheduled for
// deletion is restored first: it is the environment's, and AWS refuses the name anyway.
Result<std::optional<std::string>> read_secret(aws::Client& client, const std::string& name) {
  auto described = client.json(aws::kSecretsManager, "DescribeSecret", {{"SecretId", name}});
  if (!described && described.error().code == "ResourceNotFoundException") {
    return std::optional<std::string>();
  }
  TRY(described);
  if (!described->value("DeletedDate", json()).is_null()) {
    TRY(client.json(aws::kSecretsManager, "RestoreSecret", {{"SecretId", name}}));
  }
  TRY_ASSIGN(json value, client.json(aws::kSecretsManager, "GetSecretValue", {{"SecretId", name}}));
  return std::optional<std::string>(value.value("SecretString", ""));
}

// The secret's value, made from `make` when it does not exist yet.
Result<std::string> ensure_secret(aws::Client& client, const Environment& env,
                                  const std::string& name, const std::string& description,
                                  const std::function<Result<std::string>()>& make) {
  TRY_ASSIGN(std::optional<std::string> value, read_secret(client, name));
  if (value) return *value;
  TRY_ASSIGN(std::string made, make());
  // The same token for every try: a create whose answer was lost is done once.
  const std::string token =
      request_token("wpfleet environment secret\n" + env.aws->account_id + "\n" + name);
  auto created = client.json(aws::kSecretsManager, "CreateSecret",
                             {{"Name", name},
                              {"Description", description},
                              {"SecretString", made},
                              {"Tags", tags_json(environment_tags(env.name))},
                              {"ClientRequestToken", token}});
  if (created) return made;
  if (created.error().code != "ResourceExistsException") return std::move(created).error();
  TRY_ASSIGN(value, read_secret(client, name));  // made meanwhile by another wpfleet
  if (!value) return std::move(created).error();
  return *value;
}

Status put_secret(aws::Client& client, const std::string& name, const std::string& value) {
  TRY_ASSIGN(std::string token, random_request_token());
  TRY(client.json(aws::kSecretsManager, "PutSecretValue",
                  {{"SecretId", name}, {"SecretString", value}, {"ClientRequestToken", token}}));
  return {};
}

// The origin header's value, and the one before it while a rotation is under way.
struct OriginSecret {
  std::string value;
  std::string previous;
};

Result<OriginSecret> parse_origin_secret(const std::string& text, const std::string& name) {
  const json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_object() || !parsed.value("value", json()).is_string() ||
      parsed["value"].get<std::string>().empty()) {
    return make_error("secret " + name + " does not hold {\"value\": \"...\"}: delete it (`aws " +
                      "secretsmanager delete-secret --secret-id " + name +
                      " --force-delete-without-recovery`) and run `wpfleet apply`, which makes it "
                      "anew");
  }
  return OriginSecret{parsed["value"].get<std::string>(), parsed.value("previous", "")};
}

std::string origin_secret_text(const OriginSecret& secret) {
  json value = {{"header", kOriginHeader}, {"value", secret.value}};
  if (!secret.previous.empty()) value["previous"] = secret.previous;
  return value.dump();
}

Result<OriginSecret> ensure_origin_secret(aws::Client& client, const Environment& env,
                                          const EdgeNames& names) {
  TRY_ASSIGN(std::string text,
             ensure_secret(client, env, names.origin_secret,
                           "The value CloudFront sends the load balancer of " + env.name +
                               " in " + kOriginHeader + " (wpfleet)",
                           []() -> Result<std::string> {
                             TRY_ASSIGN(std::string value, random_password(kOriginValueLength));
                             return origin_secret_text({value, ""});
                           }));
  return parse_origin_secret(text, names.origin_secret);
}

// --- the function -----------------------------------------------------------------------

Result<std::string> wanted_function_code(const Environment& env, const std::string& password) {
  return basic_auth_function_code(
      {{credentials_hash(*env.edge.basic_auth_user, password)}, env.edge.allow, env.name});
}

std::string function_comment(const Environment& env) {
  return "Basic auth of " + env.name + " (wpfleet)";
}

// Creates or updates the function, then publishes it when LIVE differs; its ARN.
Result<std::string> ensure_function(aws::Client& client, const Environment& env,
                                    const std::string& name, const std::string& code) {
  TRY_ASSIGN(std::optional<FunctionStage> development, get_function(client, name, "DEVELOPMENT"));
  std::string etag;
  if (!development) {
    TRY_ASSIGN(etag, create_function(client, name, function_comment(env), code));
  } else if (development->code != code) {
    TRY_ASSIGN(etag, update_function(client, name, development->etag, function_comment(env), code));
  } else {
    etag = development->etag;
  }
  TRY_ASSIGN(std::optional<FunctionStage> live, get_function(client, name, "LIVE"));
  if (live && live->code == code) {
    return "arn:aws:cloudfront::" + env.aws->account_id + ":function/" + name;
  }
  return publish_function(client, name, etag);
}

// --- the distribution -------------------------------------------------------------------

bool same_host(std::string a, std::string b) {
  for (std::string* host : {&a, &b}) {
    if (host->rfind("dualstack.", 0) == 0) host->erase(0, 10);
    if (!host->empty() && host->back() == '.') host->pop_back();
  }
  return strcasecmp(a.c_str(), b.c_str()) == 0;
}

// `parent`'s child `name`, made after the first of `after` it has when missing (CloudFront
// reads its XML in the order of its schema).
pugi::xml_node child_in_order(pugi::xml_node parent, const char* name,
                              std::initializer_list<const char*> after) {
  if (pugi::xml_node found = parent.child(name)) return found;
  for (const char* before : after) {
    if (pugi::xml_node node = parent.child(before)) return parent.insert_child_after(name, node);
  }
  return parent.prepend_child(name);
}

// Sets <Quantity> to the number of <Items>' children, dropping an empty <Items>.
void fix_quantity(pugi::xml_node list) {
  pugi::xml_node items = list.child("Items");
  int count = 0;
  for (pugi::xml_node item = items.first_child(); item; item = item.next_sibling()) ++count;
  if (count == 0 && items) list.remove_child(items);
  pugi::xml_node quantity = list.child("Quantity");
  if (!quantity) quantity = list.prepend_child("Quantity");
  quantity.text() = count;
  if (count > 0 && list.first_child() != quantity) list.prepend_move(quantity);
}

// The origin CloudFront reaches the load balancer through; null when there is none.
pugi::xml_node load_balancer_origin(pugi::xml_document& config, const std::string& dns) {
  for (const auto& origin : config.select_nodes("/DistributionConfig/Origins/Items/Origin")) {
    if (same_host(origin.node().child_value("DomainName"), dns)) return origin.node();
  }
  return {};
}

pugi::xml_node origin_header_node(pugi::xml_node origin) {
  for (const auto& header : origin.select_nodes("CustomHeaders/Items/OriginCustomHeader")) {
    if (strcasecmp(header.node().child_value("HeaderName"), kOriginHeader) == 0) return header.node();
  }
  return {};
}

// Makes the origin send the header with `value`; whether anything changed.
bool set_origin_header(pugi::xml_node origin, const std::string& value) {
  pugi::xml_node header = origin_header_node(origin);
  if (header && header.child_value("HeaderValue") == value) return false;
  if (!header) {
    pugi::xml_node headers = child_in_order(origin, "CustomHeaders", {"OriginPath", "DomainName"});
    pugi::xml_node items = headers.child("Items") ? headers.child("Items") : headers.append_child("Items");
    header = items.append_child("OriginCustomHeader");
    header.append_child("HeaderName").text() = kOriginHeader;
    header.append_child("HeaderValue");
    fix_quantity(headers);
  }
  header.child("HeaderValue").text() = value.c_str();
  return true;
}

bool is_ours(const std::string& arn, const std::string& function) {
  return arn.ends_with(":function/" + function);
}

std::vector<pugi::xml_node> behaviours(pugi::xml_document& config) {
  std::vector<pugi::xml_node> out = {config.child("DistributionConfig").child("DefaultCacheBehavior")};
  for (const auto& b : config.select_nodes("/DistributionConfig/CacheBehaviors/Items/CacheBehavior")) {
    out.push_back(b.node());
  }
  return out;
}

std::string behaviour_name(const pugi::xml_node& behaviour) {
  return behaviour.child("PathPattern") ? behaviour.child_value("PathPattern")
                                        : "the default cache behaviour";
}

// Outside production every response says so to search engines, as on local.
constexpr const char* kNoindexHeader = "X-Robots-Tag";
constexpr const char* kNoindexValue = "noindex, nofollow";

// Puts the response headers policy `wanted` on every cache behaviour (empty: takes `ours`
// off). A behaviour with a policy of the user's keeps it (CloudFront takes one per
// behaviour) and is named in `kept`.
bool set_headers_policy(pugi::xml_document& config, const std::string& wanted,
                        const std::string& ours, std::vector<std::string>& kept) {
  bool changed = false;
  for (pugi::xml_node behaviour : behaviours(config)) {
    pugi::xml_node node = behaviour.child("ResponseHeadersPolicyId");
    const std::string current = node.child_value();
    if (wanted.empty()) {
      if (node && current == ours) {
        behaviour.remove_child(node);
        changed = true;
      }
      continue;
    }
    if (current == wanted) continue;
    if (!current.empty() && current != ours) {
      kept.push_back(behaviour_name(behaviour) + " (" + current + ")");
      continue;
    }
    if (!node) {
      node = child_in_order(behaviour, "ResponseHeadersPolicyId",
                            {"OriginRequestPolicyId", "CachePolicyId", "RealtimeLogConfigArn",
                             "FieldLevelEncryptionId", "FunctionAssociations"});
    }
    node.text() = wanted.c_str();
    changed = true;
  }
  return changed;
}

// WordPress's static files, the same for every visitor, are cached at the edge (the
// user's guide's "selective caching"). Everything else — pages, wp-admin, wp-login.php,
// previews, the REST API, whatever a logged-in user sees — stays on the default
// behaviour, which wpfleet leaves as the user made it. Theme and plugin folders hold PHP
// endpoints too, so only their stylesheets and scripts are cached there.
constexpr const char* kStaticPaths[] = {"/wp-content/uploads/*",     "/wp-includes/*",
                                        "/wp-content/themes/*.css",  "/wp-content/themes/*.js",
                                        "/wp-content/plugins/*.css", "/wp-content/plugins/*.js"};

// One distribution serves every tenant of the environment: the Host header is in the
// cache key, or one tenant's logo.png would be served for another's. Query strings too,
// as WordPress versions its assets with ?ver=.
CacheKey static_cache_key() { return CacheKey{{"Host"}, true, 86400, 31536000}; }

// The static paths that have no cache behaviour (the user's own for a path counts).
std::vector<std::string> uncached_static_paths(pugi::xml_document& config) {
  std::vector<std::string> missing;
  const auto all = behaviours(config);
  for (const char* path : kStaticPaths) {
    const bool has = std::any_of(all.begin(), all.end(), [&](const pugi::xml_node& b) {
      return std::string(b.child_value("PathPattern")) == path;
    });
    if (!has) missing.emplace_back(path);
  }
  return missing;
}

// Adds, after the user's behaviours, one caching by `policy` for each static path that
// has none: GET and HEAD only, compressed, to the load balancer's origin, with the
// default behaviour's viewer protocol. Whether it added any.
bool add_static_behaviours(pugi::xml_document& config, const std::string& origin_id,
                           const std::string& policy) {
  const std::vector<std::string> missing = uncached_static_paths(config);
  if (missing.empty()) return false;
  pugi::xml_node root = config.child("DistributionConfig");
  std::string viewer = root.child("DefaultCacheBehavior").child_value("ViewerProtocolPolicy");
  if (viewer.empty()) viewer = "redirect-to-https";
  pugi::xml_node list = child_in_order(root, "CacheBehaviors", {"DefaultCacheBehavior"});
  pugi::xml_node items = list.child("Items") ? list.child("Items") : list.append_child("Items");
  for (const auto& path : missing) {
    pugi::xml_node behaviour = items.append_child("CacheBehavior");
    behaviour.append_child("PathPattern").text() = path.c_str();
    behaviour.append_child("TargetOriginId").text() = origin_id.c_str();
    behaviour.append_child("ViewerProtocolPolicy").text() = viewer.c_str();
    pugi::xml_node methods = behaviour.append_child("AllowedMethods");
    for (pugi::xml_node set : {methods, methods.append_child("CachedMethods")}) {
      set.prepend_child("Quantity").text() = 2;
      pugi::xml_node names = set.insert_child_after("Items", set.child("Quantity"));
      names.append_child("Method").text() = "GET";
      names.append_child("Method").text() = "HEAD";
    }
    behaviour.append_child("Compress").text() = "true";
    behaviour.append_child("CachePolicyId").text() = policy.c_str();
  }
  fix_quantity(list);
  return true;
}

pugi::xml_node viewer_request_function(pugi::xml_node behaviour) {
  for (const auto& a : behaviour.select_nodes("FunctionAssociations/Items/FunctionAssociation")) {
    if (std::string(a.node().child_value("EventType")) == "viewer-request") return a.node();
  }
  return {};
}

// Associates `arn` (empty: no function of ours) with the viewer requests of every cache
// behaviour. A Lambda@Edge on viewer requests (the hand-made basic auth this replaces)
// cannot stay beside a function there; it is removed and named in `replaced`.
bool set_function_associations(pugi::xml_document& config, const std::string& arn,
                               const std::string& function, std::vector<std::string>& replaced) {
  bool changed = false;
  for (pugi::xml_node behaviour : behaviours(config)) {
    pugi::xml_node association = viewer_request_function(behaviour);
    const std::string current = association ? association.child_value("FunctionARN") : "";
    if (arn.empty()) {
      if (!association || !is_ours(current, function)) continue;
      pugi::xml_node list = association.parent().parent();
      association.parent().remove_child(association);
      fix_quantity(list);
      changed = true;
      continue;
    }
    if (current == arn) continue;
    if (pugi::xml_node lambdas = behaviour.child("LambdaFunctionAssociations")) {
      for (const auto& l : lambdas.select_nodes("Items/LambdaFunctionAssociation")) {
        if (std::string(l.node().child_value("EventType")) != "viewer-request") continue;
        replaced.push_back(l.node().child_value("LambdaFunctionARN"));
        l.node().parent().remove_child(l.node());
      }
      fix_quantity(lambdas);
    }
    if (!association) {
      pugi::xml_node list = child_in_order(
          behaviour, "FunctionAssociations",
          {"LambdaFunctionAssociations", "Compress", "SmoothStreaming", "AllowedMethods",
           "TrustedKeyGroups",
           "TrustedSigners", "ViewerProtocolPolicy", "TargetOriginId", "PathPattern"});
      pugi::xml_node items = list.child("Items") ? list.child("Items") : list.append_child("Items");
      association = items.append_child("FunctionAssociation");
      association.append_child("FunctionARN");
      association.append_child("EventType").text() = "viewer-request";
      fix_quantity(list);
    }
    association.child("FunctionARN").text() = arn.c_str();
    changed = true;
  }
  return changed;
}

Error no_distribution(const Environment& env, const EdgeNames& names) {
  if (names.alias.empty()) {
    return make_error("the domain of environment '" + env.name + "' (" + env.domain +
                      ") is not of the form \"{tenant}.<suffix>\", so wpfleet cannot find its "
                      "CloudFront distribution by the alias *.<suffix>: use such a domain");
  }
  return make_error("no CloudFront distribution of " + where(env) + " has the alias " +
                    names.alias + ": add it to the distribution in front of the load balancer '" +
                    env.aws->alb + "' with your platform's Terraform, then run `wpfleet apply`");
}

Error no_origin(const Environment& env, const std::string& id, const PlatformResources& platform) {
  return make_error("the CloudFront distribution " + id + " of " + where(env) +
                    " has no origin at the load balancer's name " + platform.load_balancer_dns +
                    ": point its origin there with your platform's Terraform, then run "
                    "`wpfleet apply`");
}

// Waits until CloudFront runs the distribution's last configuration everywhere, saying so
// on stderr: until then some edge locations still send the old origin header.
Status wait_deployed(aws::Client& client, const Environment& env, const std::string& id) {
  const Wait wait{"CloudFront to deploy distribution " + id, env.name + ": ", kDeployPoll,
                  kDeployTimeout, "it usually takes a few"};
  return wait_until_done(
      wait,
      [&]() -> Result<std::optional<std::string>> {
        TRY_ASSIGN(const std::string status, distribution_status(client, id));
        if (status == "Deployed") return std::optional<std::string>();
        return std::optional<std::string>(status);
      },
      "run `wpfleet apply` again once the console shows it Deployed");
}

// The listener's answer to whatever no tenant's rule takes, a request without the origin
// header included.
bool denies_by_default(const pugi::xml_node& listener) {
  const auto actions = listener.select_nodes("DefaultActions/member");
  if (actions.size() != 1) return false;
  const pugi::xml_node action = actions.first().node();
  return std::string(action.child_value("Type")) == "fixed-response" &&
         std::string(action.child("FixedResponseConfig").child_value("StatusCode")) == "403";
}

Result<pugi::xml_node> describe_listener(aws::Client& client, const std::string& arn,
                                         pugi::xml_document& answer) {
  TRY_ASSIGN(answer, client.query(aws::kElbV2, "DescribeListeners", {{"ListenerArns.member.1", arn}}));
  return answer.select_node("//Listeners/member").node();
}

Status ensure_default_denied(aws::Client& client, const PlatformResources& platform) {
  pugi::xml_document answer;
  TRY_ASSIGN(pugi::xml_node listener, describe_listener(client, platform.listener_arn, answer));
  if (denies_by_default(listener)) return {};
  TRY(client.query(aws::kElbV2, "ModifyListener",
                   {{"ListenerArn", platform.listener_arn},
                    {"DefaultActions.member.1.Type", "fixed-response"},
                    {"DefaultActions.member.1.FixedResponseConfig.StatusCode", "403"},
                    {"DefaultActions.member.1.FixedResponseConfig.ContentType", "text/plain"},
                    {"DefaultActions.member.1.FixedResponseConfig.MessageBody", "Forbidden"}}));
  return {};
}

// --- the whole edge ---------------------------------------------------------------------

Result<std::vector<std::string>> ensure_edge(aws::Client& client, const Environment& env,
                                             const PlatformResources& platform) {
  const EdgeNames names = edge_names(env.name, env.domain);
  if (names.alias.empty()) return no_distribution(env, names);
  TRY_ASSIGN(OriginSecret origin, ensure_origin_secret(client, env, names));
  const bool rotating = !origin.previous.empty();
  // Both values are accepted before CloudFront sends the new one.
  if (rotating) TRY(require_origin_values(client, platform.listener_arn, {origin.value, origin.previous}));

  std::string function_arn;
  if (env.edge.basic_auth_user) {
    TRY_ASSIGN(std::string password,
               ensure_secret(client, env, names.basic_auth_secret,
                             "The basic auth password of " + env.name + " (wpfleet)",
                             [] { return random_password(kPasswordLength); }));
    TRY_ASSIGN(std::string code, wanted_function_code(env, password));
    TRY_ASSIGN(function_arn, ensure_function(client, env, names.function, code));
  }

  TRY_ASSIGN(std::optional<std::string> policy,
             find_response_headers_policy(client, names.noindex_policy));
  if (!policy && !env.production) {
    TRY_ASSIGN(policy, create_response_headers_policy(
                           client, names.noindex_policy,
                           "Keeps " + env.name + " out of search engines (wpfleet)",
                           kNoindexHeader, kNoindexValue));
  }

  TRY_ASSIGN(const std::optional<FoundDistribution> distribution,
             find_distribution(client, names.alias));
  if (!distribution) return no_distribution(env, names);
  const std::string& id = distribution->id;
  TRY_ASSIGN(DistributionConfig config, get_distribution_config(client, id));
  pugi::xml_node origin_node = load_balancer_origin(config.xml, platform.load_balancer_dns);
  if (!origin_node) return no_origin(env, id, platform);
  TRY_ASSIGN(const std::optional<HostedZone> zone, find_hosted_zone(client, names.alias.substr(2)));
  TRY_ASSIGN(const CertificateChoice certificate,
             ensure_certificate(client, env, names.alias, zone, config.xml));
  if (certificate.changed) set_viewer_certificate(config.xml, certificate.arn);
  bool static_changed = false;
  if (!uncached_static_paths(config.xml).empty()) {
    TRY_ASSIGN(std::optional<std::string> cache_policy, find_cache_policy(client, names.static_policy));
    if (!cache_policy) {
      TRY_ASSIGN(cache_policy, create_cache_policy(client, names.static_policy,
                                                   "WordPress's static files of " + env.name + " (wpfleet)",
                                                   static_cache_key()));
    }
    static_changed = add_static_behaviours(config.xml, origin_node.child_value("Id"), *cache_policy);
  }
  const bool header_changed = set_origin_header(origin_node, origin.value);
  std::vector<std::string> replaced, kept;
  const bool functions_changed =
      set_function_associations(config.xml, function_arn, names.function, replaced);
  const bool policies_changed =
      policy && set_headers_policy(config.xml, env.production ? "" : *policy, *policy, kept);
  if (header_changed || functions_changed || policies_changed || certificate.changed || static_changed) {
    TRY(update_distribution(client, config));
  }
  if (zone) TRY(ensure_alias_record(client, *zone, names.alias, distribution->domain_name));
  for (const auto& behaviour : kept) {
    std::cerr << env.name << ": " << behaviour << " of the CloudFront distribution " << id
              << " keeps its own response headers policy, so its responses carry no "
              << kNoindexHeader << " from wpfleet: add " << kNoindexHeader << ": "
              << kNoindexValue << " to that policy\n";
  }
  for (const auto& lambda : replaced) {
    std::cerr << env.name << ": the CloudFront distribution " << id
              << " ran the Lambda@Edge function " << lambda
              << " on viewer requests; wpfleet's basic auth function does that now\n";
  }
  if (header_changed || rotating) TRY(wait_deployed(client, env, id));
  if (rotating) {
    TRY(require_origin_values(client, platform.listener_arn, {origin.value}));
    TRY(put_secret(client, names.origin_secret, origin_secret_text({origin.value, ""})));
  }
  TRY(ensure_default_denied(client, platform));
  return std::vector<std::string>{origin.value};
}

// The edge's values by listener, for the rest of the process once ensured.
struct EdgeCache {
  std::mutex mutex;  // held while one is ensured: the other tenants wait for it
  std::map<std::string, std::vector<std::string>> values;
};

EdgeCache& edge_cache() {
  static EdgeCache cache;
  return cache;
}

// --- checks -----------------------------------------------------------------------------
//
// verify and plan read the edge without changing it: each part that differs from what
// ensure_edge leaves is named, and `wpfleet apply` puts them all back (route's existing()
// leaves out the tenants whose edge drifted, so plan shows them and apply ensures the edge
// again).

// The secret's SecretString, changing nothing (read_secret restores a secret scheduled for
// deletion: apply does); nullopt, with the problem in `drift`, when there is none to read.
Result<std::optional<std::string>> peek_secret(aws::Client& client, const std::string& name,
                                               std::vector<std::string>& drift) {
  auto value = client.json(aws::kSecretsManager, "GetSecretValue", {{"SecretId", name}});
  if (value) return std::optional<std::string>(value->value("SecretString", ""));
  if (value.error().code == "ResourceNotFoundException") {
    drift.push_back("the secret " + name + " does not exist");
    return std::optional<std::string>();
  }
  if (value.error().code == "InvalidRequestException") {  // marked for deletion
    drift.push_back("the secret " + name + " is scheduled for deletion");
    return std::optional<std::string>();
  }
  return std::move(value).error();
}

// "A", "A and B", "A, B and C".
std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  }
  return out;
}

Status check_function(aws::Client& client, const Environment& env, const EdgeNames& names,
                      pugi::xml_document& config, std::vector<std::string>& drift) {
  if (env.edge.basic_auth_user) {
    TRY_ASSIGN(std::optional<std::string> password,
               peek_secret(client, names.basic_auth_secret, drift));
    if (password) {
      TRY_ASSIGN(std::string code, wanted_function_code(env, *password));
      TRY_ASSIGN(std::optional<FunctionStage> live, get_function(client, names.function, "LIVE"));
      if (!live) {
        drift.push_back("the CloudFront Function " + names.function + " is not published");
      } else if (live->code != code) {
        drift.push_back("the published CloudFront Function " + names.function +
                        " does not check the password in " + names.basic_auth_secret +
                        " (or the allow ranges of the fleet file)");
      }
    }
  }
  std::vector<std::string> unguarded, guarded;
  for (pugi::xml_node behaviour : behaviours(config)) {
    const pugi::xml_node association = viewer_request_function(behaviour);
    const bool ours = association && is_ours(association.child_value("FunctionARN"), names.function);
    if (env.edge.basic_auth_user && !ours) unguarded.push_back(behaviour_name(behaviour));
    if (!env.edge.basic_auth_user && ours) guarded.push_back(behaviour_name(behaviour));
  }
  if (!unguarded.empty()) {
    drift.push_back("the basic auth function " + names.function + " does not run on " +
                    listed(unguarded) + ", so requests there need no password");
  }
  if (!guarded.empty()) {
    drift.push_back("the basic auth function " + names.function + " still runs on " +
                    listed(guarded) + ", although environment '" + env.name + "' has no basic_auth");
  }
  return {};
}

Status check_headers_policy(aws::Client& client, const Environment& env, const EdgeNames& names,
                            pugi::xml_document& config, std::vector<std::string>& drift) {
  TRY_ASSIGN(std::optional<std::string> policy,
             find_response_headers_policy(client, names.noindex_policy));
  std::vector<std::string> indexed, hidden;
  for (pugi::xml_node behaviour : behaviours(config)) {
    const std::string current = behaviour.child_value("ResponseHeadersPolicyId");
    if (!env.production && current.empty()) indexed.push_back(behaviour_name(behaviour));
    if (env.production && policy && current == *policy) hidden.push_back(behaviour_name(behaviour));
  }
  if (!indexed.empty()) {
    drift.push_back(listed(indexed) + " answer" + (indexed.size() == 1 ? "s" : "") + " without " +
                    kNoindexHeader + ", so search engines may index environment '" + env.name + "'");
  }
  if (!hidden.empty()) {
    drift.push_back(listed(hidden) + " tell" + (hidden.size() == 1 ? "s" : "") +
                    " search engines not to index production environment '" + env.name + "'");
  }
  return {};
}

// The environment's half of the edge, the same for each of its tenants.
struct EdgeState {
  std::string origin;               // the value the tenants' rules must require ("": unknown)
  bool rotating = false;            // a rotation of the origin header's value did not finish
  std::vector<std::string> drift;   // what differs from what ensure_edge leaves, in words
};

// Reads the whole edge and names every part that drifted. A distribution or origin that
// is not there is an error: the user's Terraform makes them, not apply.
Result<EdgeState> inspect_environment_edge(aws::Client& client, const Environment& env,
                                           const PlatformResources& platform) {
  const EdgeNames names = edge_names(env.name, env.domain);
  if (names.alias.empty()) return no_distribution(env, names);
  EdgeState state;
  TRY_ASSIGN(std::optional<std::string> text, peek_secret(client, names.origin_secret, state.drift));
  if (text) {
    TRY_ASSIGN(OriginSecret origin, parse_origin_secret(*text, names.origin_secret));
    state.origin = origin.value;
    state.rotating = !origin.previous.empty();
    if (state.rotating) {
      state.drift.push_back("a rotation of " + std::string(kOriginSecret) + " did not finish");
    }
  }
  TRY_ASSIGN(const std::optional<FoundDistribution> distribution,
             find_distribution(client, names.alias));
  if (!distribution) return no_distribution(env, names);
  const std::string& id = distribution->id;
  TRY_ASSIGN(DistributionConfig config, get_distribution_config(client, id));
  const pugi::xml_node origin_node = load_balancer_origin(config.xml, platform.load_balancer_dns);
  if (!origin_node) return no_origin(env, id, platform);
  const pugi::xml_node header = origin_header_node(origin_node);
  if (text && (!header || header.child_value("HeaderValue") != state.origin)) {
    state.drift.push_back("the CloudFront distribution " + id + " does not send " + kOriginHeader +
                          " with the value in " + names.origin_secret +
                          ", so the load balancer refuses every request it passes on");
  }
  TRY(check_function(client, env, names, config.xml, state.drift));
  TRY(check_headers_policy(client, env, names, config.xml, state.drift));
  if (const auto uncached = uncached_static_paths(config.xml); !uncached.empty()) {
    state.drift.push_back("the CloudFront distribution " + id + " has no cache behaviour for " +
                          listed(uncached) + ", so every visitor's request for them reaches WordPress");
  }
  TRY_ASSIGN(const std::string certificate, certificate_problem(client, names.alias, config.xml));
  if (!certificate.empty()) state.drift.push_back("the CloudFront distribution " + id + ": " + certificate);
  TRY_ASSIGN(const std::optional<HostedZone> zone, find_hosted_zone(client, names.alias.substr(2)));
  if (zone) {
    TRY_ASSIGN(const std::string record,
               alias_record_problem(client, *zone, names.alias, distribution->domain_name));
    if (!record.empty()) state.drift.push_back(record);
  }
  pugi::xml_document answer;
  TRY_ASSIGN(pugi::xml_node listener, describe_listener(client, platform.listener_arn, answer));
  if (!denies_by_default(listener)) {
    state.drift.push_back("the listener of the load balancer '" + env.aws->alb +
                          "' does not answer 403 to requests no tenant's rule takes");
  }
  return state;
}

// verify's verdict on the environment's half: what drifted, and the command that puts it back.
Status edge_problem(const Environment& env, const EdgeState& state) {
  if (state.drift.empty()) return {};
  if (state.rotating) {
    return make_error("a rotation of " + std::string(kOriginSecret) + " did not finish: run "
                      "`wpfleet secret rotate -e " + env.name + " " + kOriginSecret + "` to finish it");
  }
  std::string said;
  for (const auto& part : state.drift) said += (said.empty() ? "" : "; ") + part;
  return make_error(said + ": run `wpfleet apply`, which puts the edge of " + env.name + " back");
}

// inspect_environment_edge's answers by listener, for the rest of the process (a verify or
// plan of many tenants reads the edge once: Route 53 allows five calls a second); forgotten
// when the edge is ensured again.
struct EdgeChecks {
  std::mutex mutex;  // held while one is read: the other tenants wait for its answer
  std::map<std::string, Result<EdgeState>> by_listener;
};

EdgeChecks& edge_checks() {
  static EdgeChecks checks;
  return checks;
}

Result<EdgeState> checked_environment_edge(aws::Client& client, const Environment& env,
                                           const PlatformResources& platform) {
  EdgeChecks& checks = edge_checks();
  std::lock_guard lock(checks.mutex);
  auto found = checks.by_listener.find(platform.listener_arn);
  if (found == checks.by_listener.end()) {
    found = checks.by_listener.emplace(platform.listener_arn, inspect_environment_edge(client, env, platform))
                .first;
  }
  return found->second;
}

void forget_edge_check(const std::string& listener_arn) {
  EdgeChecks& checks = edge_checks();
  std::lock_guard lock(checks.mutex);
  checks.by_listener.erase(listener_arn);
}

}  // namespace

Result<std::vector<std::string>> origin_header_values(aws::Client& client,
                                                      const Environment& env,
                                                      const PlatformResources& platform) {
  EdgeCache& cache = edge_cache();
  std::lock_guard lock(cache.mutex);
  const auto found = cache.values.find(platform.listener_arn);
  if (found != cache.values.end()) return found->second;
  forget_edge_check(platform.listener_arn);
  TRY_ASSIGN(auto values, ensure_edge(client, env, platform));
  cache.values[platform.listener_arn] = values;
  return values;
}

Status rotate_edge_secret(aws::Client& client, const Environment& env,
                          const PlatformResources& platform, const std::string& name) {
  if (name != kOriginSecret && name != kBasicAuthPassword) {
    return make_error("'" + name + "' cannot be rotated; the secrets of aws environment '" +
                      env.name + "' that can are " + kBasicAuthPassword + " and " + kOriginSecret);
  }
  const EdgeNames names = edge_names(env.name, env.domain);
  EdgeCache& cache = edge_cache();
  std::lock_guard lock(cache.mutex);
  cache.values.erase(platform.listener_arn);
  forget_edge_check(platform.listener_arn);
  // A rotation interrupted before is finished first: the rules then hold one value.
  TRY(ensure_edge(client, env, platform));
  if (name == kOriginSecret) {
    TRY_ASSIGN(OriginSecret origin, ensure_origin_secret(client, env, names));
    TRY_ASSIGN(std::string value, random_password(kOriginValueLength));
    TRY(put_secret(client, names.origin_secret, origin_secret_text({value, origin.value})));
  } else {
    TRY_ASSIGN(std::string password, random_password(kPasswordLength));
    TRY(put_secret(client, names.basic_auth_secret, password));
  }
  TRY_ASSIGN(auto values, ensure_edge(client, env, platform));
  cache.values[platform.listener_arn] = values;
  return {};
}

Result<std::optional<std::string>> read_basic_auth_password(aws::Client& client,
                                                            const Environment& env) {
  return read_secret(client, edge_names(env.name, env.domain).basic_auth_secret);
}

Status check_edge(aws::Client& client, const Environment& env, const PlatformResources& platform,
                  const TenantContext& ctx) {
  TRY_ASSIGN(const EdgeState state, checked_environment_edge(client, env, platform));
  TRY(edge_problem(env, state));
  TRY_ASSIGN(auto rules, list_listener_rules(client, platform.listener_arn));
  const ListenerRule* rule = tenant_rule(rules, ctx.hosts.front(), "");
  if (!rule) {
    return make_error("no rule of the load balancer '" + env.aws->alb + "' takes " +
                      ctx.hosts.front() + ": run `wpfleet apply` to make it");
  }
  if (rule->origin_values != std::vector<std::string>{state.origin}) {
    return make_error("the rule of " + ctx.hosts.front() + " (priority " +
                      std::to_string(rule->priority) + ") does not require " + kOriginHeader +
                      ", so anyone reaches the tenant past CloudFront, its password included, by "
                      "sending the load balancer its host name: run `wpfleet apply`");
  }
  return {};
}

Result<std::set<std::string>> tenants_with_edge_as_applied(
    aws::Client& client, const Environment& env, const PlatformResources& platform,
    const std::map<std::string, const ListenerRule*>& rules) {
  std::set<std::string> kept;
  bool in_use = false;
  for (const auto& [tenant, rule] : rules) {
    kept.insert(tenant);
    in_use = in_use || !rule->origin_values.empty();
  }
  if (!in_use) return kept;
  TRY_ASSIGN(const EdgeState state, checked_environment_edge(client, env, platform));
  std::vector<std::string> drift = state.drift;
  for (const auto& [tenant, rule] : rules) {
    if (!drift.empty() || rule->origin_values == std::vector<std::string>{state.origin}) continue;
    kept.erase(tenant);
    drift.push_back("the listener rule of " + tenant + " (priority " + std::to_string(rule->priority) +
                    ") does not require " + kOriginHeader + " with the value in " +
                    edge_names(env.name, env.domain).origin_secret);
  }
  if (drift.empty()) return kept;
  std::string said;
  for (const auto& part : drift) said += "\n  " + part;
  std::cerr << env.name << ": the edge was changed outside wpfleet (`wpfleet apply` puts it back"
            << (state.drift.empty() ? "" : " with every tenant's route") << "):" << said << "\n";
  if (!state.drift.empty()) kept.clear();
  return kept;
}

}  // namespace wpfleet::aws_backend
