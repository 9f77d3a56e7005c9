// AwsProxy's CloudFront: see aws_fake.h. Function state lives here; distributions live in
// moto, with the few things it lacks kept beside them.
#include <strings.h>

#include <cstring>
#include <optional>
#include <regex>
#include <sstream>
#include <variant>

#include "aws_fake.h"
#include "aws/sigv4.h"

namespace wpfleet::testing {

namespace {

constexpr const char* kApi = "/2020-05-31/";
constexpr const char* kXmlns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
constexpr std::size_t kMaxCode = 10 * 1024;

std::optional<std::string> header(const AwsProxy::Request& request, const char* name) {
  const std::size_t length = std::strlen(name);
  for (const auto& line : request.headers) {
    if (line.size() > length && line[length] == ':' && strncasecmp(line.c_str(), name, length) == 0) {
      std::string value = line.substr(length + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return std::nullopt;
}

AwsProxy::Answer error(long status, const std::string& code, const std::string& message) {
  return {status,
          {{"content-type", "text/xml"}},
          "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"" + std::string(kXmlns) +
              "\"><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message +
              "</Message></Error><RequestId>fake</RequestId></ErrorResponse>"};
}

std::string text_of(const pugi::xml_node& node) {
  std::ostringstream out;
  node.print(out, "", pugi::format_raw);
  return out.str();
}

std::optional<std::string> unbase64(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') {
      if (i + 2 < text.size()) return std::nullopt;
      break;
    }
    const auto at = kAlphabet.find(text[i]);
    if (at == std::string::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<unsigned>(at);
    if ((count += 6) >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

std::string query_value(const std::string& target, const std::string& key) {
  const auto at = target.find('?');
  if (at == std::string::npos) return "";
  std::istringstream pairs(target.substr(at + 1));
  for (std::string pair; std::getline(pairs, pair, '&');) {
    if (pair.rfind(key + "=", 0) == 0) return pair.substr(key.size() + 1);
  }
  return "";
}

std::string function_arn(const std::string& name) {
  return "arn:aws:cloudfront::123456789012:function/" + name;
}

std::string summary(const std::string& name, const AwsProxy::CloudFrontFunction& f,
                    const char* stage) {
  return "<?xml version=\"1.0\"?><FunctionSummary xmlns=\"" + std::string(kXmlns) + "\"><Name>" +
         name + "</Name><Status>UNASSOCIATED</Status><FunctionConfig><Comment>" + f.comment +
         "</Comment><Runtime>" + f.runtime + "</Runtime></FunctionConfig><FunctionMetadata>"
         "<FunctionARN>" + function_arn(name) + "</FunctionARN><Stage>" + stage +
         "</Stage><CreatedTime>2026-11-30T00:00:00Z</CreatedTime><LastModifiedTime>"
         "2026-11-30T00:00:00Z</LastModifiedTime></FunctionMetadata></FunctionSummary>";
}

std::string development_etag(const std::string& name, const AwsProxy::CloudFrontFunction& f) {
  return "EDEV" + std::to_string(f.version) + name;
}
std::string live_etag(const std::string& name, const AwsProxy::CloudFrontFunction& f) {
  return "ELIVE" + std::to_string(f.published) + name;
}

// The FunctionConfig and code of a Create/UpdateFunctionRequest, as CloudFront checks them;
// an error answer otherwise.
struct FunctionInput {
  std::string name, comment, runtime, code;
};
std::variant<FunctionInput, AwsProxy::Answer> function_input(const std::string& body,
                                                             const char* root) {
  pugi::xml_document doc;
  if (!doc.load_string(body.c_str())) return error(400, "MalformedXML", "the body is not XML");
  const pugi::xml_node request = doc.child(root);
  if (!request || std::string(request.attribute("xmlns").value()) != kXmlns) {
    return error(400, "MalformedXML", std::string("expected a ") + root + " in the namespace " + kXmlns);
  }
  const pugi::xml_node config = request.child("FunctionConfig");
  if (!config || !config.child("Comment") || !config.child("Runtime") ||
      !request.child("FunctionCode")) {
    return error(400, "MalformedXML", "FunctionConfig (Comment, Runtime) and FunctionCode are required");
  }
  FunctionInput input{request.child_value("Name"), config.child_value("Comment"),
                      config.child_value("Runtime"), ""};
  if (input.runtime != "cloudfront-js-1.0" && input.runtime != "cloudfront-js-2.0") {
    return error(400, "InvalidArgument", "Runtime must be cloudfront-js-1.0 or cloudfront-js-2.0");
  }
  const auto code = unbase64(request.child_value("FunctionCode"));
  if (!code || code->empty()) return error(400, "InvalidArgument", "FunctionCode is not base64");
  if (code->size() > kMaxCode) {
    return error(413, "FunctionSizeLimitExceeded", "the function code is larger than 10 KB");
  }
  input.code = *code;
  return input;
}

// What If-Match must be; an error answer when it is missing or another.
std::optional<AwsProxy::Answer> if_match_problem(const AwsProxy::Request& request,
                                                 const std::string& current) {
  const auto sent = header(request, "If-Match");
  if (!sent || sent->empty()) {
    return error(400, "InvalidIfMatchVersion", "The If-Match version is missing or not valid.");
  }
  if (*sent != current) {
    return error(412, "PreconditionFailed",
                 "The If-Match version " + *sent + " is not the current one (" + current + ").");
  }
  return std::nullopt;
}

std::string behaviour_key(const pugi::xml_node& behaviour) { return behaviour.child_value("PathPattern"); }

std::vector<pugi::xml_node> behaviours_of(pugi::xml_node config) {
  std::vector<pugi::xml_node> out = {config.child("DefaultCacheBehavior")};
  for (const auto& b : config.select_nodes("CacheBehaviors/Items/CacheBehavior")) out.push_back(b.node());
  return out;
}

}  // namespace

// What a policy kind's XML is called and what CloudFront checks of its configuration
// beyond the Name: an error message, or "" when it is fine.
struct PolicyKind {
  const char* root;  // "ResponseHeadersPolicy": its list is <root>List, its items <root>Summary
  const char* id_prefix;
  std::string (*problem)(const pugi::xml_node& config);
};

namespace {

std::string headers_policy_problem(const pugi::xml_node& config) {
  const pugi::xml_node headers = config.child("CustomHeadersConfig");
  const auto items = headers.select_nodes("Items/ResponseHeadersPolicyCustomHeader");
  if (headers.child("Quantity").text().as_int(-1) != static_cast<int>(items.size())) {
    return "CustomHeadersConfig Quantity does not match its Items";
  }
  for (const auto& item : items) {
    if (!*item.node().child_value("Header") || !item.node().child("Override")) {
      return "a custom header needs Header, Value and Override";
    }
  }
  return "";
}

std::string cache_policy_problem(const pugi::xml_node& config) {
  const long long min = config.child("MinTTL").text().as_llong(-1);
  const long long fallback = config.child("DefaultTTL").text().as_llong(min);
  const long long max = config.child("MaxTTL").text().as_llong(fallback);
  if (min < 0 || fallback < min || max < fallback) return "MinTTL <= DefaultTTL <= MaxTTL is required";
  const pugi::xml_node key = config.child("ParametersInCacheKeyAndForwardedToOrigin");
  for (const char* part : {"EnableAcceptEncodingGzip", "HeadersConfig", "CookiesConfig", "QueryStringsConfig"}) {
    if (!key.child(part)) return std::string("ParametersInCacheKeyAndForwardedToOrigin lacks ") + part;
  }
  const pugi::xml_node headers = key.child("HeadersConfig");
  const auto names = headers.select_nodes("Headers/Items/Name");
  if (std::string(headers.child_value("HeaderBehavior")) == "whitelist" &&
      headers.select_node("Headers/Quantity").node().text().as_int(-1) != static_cast<int>(names.size())) {
    return "HeadersConfig Quantity does not match its Items";
  }
  return "";
}

constexpr PolicyKind kHeadersPolicy{"ResponseHeadersPolicy", "rhp-", headers_policy_problem};
constexpr PolicyKind kCachePolicy{"CachePolicy", "cp-", cache_policy_problem};

}  // namespace

std::optional<AwsProxy::Answer> AwsProxy::cloudfront(const Request& request) {
  const std::string path = path_of(request.target);
  if (path.rfind(kApi, 0) != 0) return std::nullopt;
  const std::string rest = path.substr(std::strlen(kApi));
  if (rest.rfind("function", 0) == 0) {
    if (auto problem = signature_problem(request)) return signature_refused(*problem);
    return cloudfront_function(request, rest);
  }
  if (rest.rfind("distribution", 0) == 0) return cloudfront_distribution(request, rest);
  if (rest == "response-headers-policy" || rest == "cache-policy") {
    if (auto problem = signature_problem(request)) return signature_refused(*problem);
    return cloudfront_policy(request, rest == "cache-policy" ? kCachePolicy : kHeadersPolicy);
  }
  return std::nullopt;
}

AwsProxy::Answer AwsProxy::cloudfront_function(const Request& request, const std::string& path) {
  static const std::regex kName("[a-zA-Z0-9_-]{1,64}");
  std::lock_guard lock(mutex_);
  if (path == "function" && request.method == "POST") {  // CreateFunction
    auto input = function_input(request.body, "CreateFunctionRequest");
    if (auto* refused = std::get_if<Answer>(&input)) return *refused;
    const FunctionInput& in = std::get<FunctionInput>(input);
    if (!std::regex_match(in.name, kName)) return error(400, "InvalidArgument", "bad function name");
    if (functions_.count(in.name)) return error(409, "FunctionAlreadyExists", in.name + " exists");
    CloudFrontFunction& f = functions_[in.name];
    f = {in.comment, in.runtime, in.code, "", 1, 0};
    return {201,
            {{"content-type", "text/xml"}, {"etag", development_etag(in.name, f)},
             {"location", "https://cloudfront.amazonaws.com/2020-05-31/function/" + function_arn(in.name)}},
            summary(in.name, f, "DEVELOPMENT")};
  }
  std::smatch match;
  static const std::regex kPath("function/([^/]+)(/describe|/publish)?");
  if (!std::regex_match(path, match, kPath)) return error(404, "NotFound", "no such API");
  const std::string name = match[1];
  const std::string action = match[2];
  const auto found = functions_.find(name);
  if (found == functions_.end()) return error(404, "NoSuchFunctionExists", "The function does not exist.");
  CloudFrontFunction& f = found->second;
  const std::string stage = query_value(request.target, "Stage");
  const bool live = stage == "LIVE";
  if (request.method == "GET") {  // GetFunction, DescribeFunction
    if (live && f.published == 0) return error(404, "NoSuchFunctionExists", "The function is not published.");
    const std::string etag = live ? live_etag(name, f) : development_etag(name, f);
    if (action == "/describe") {
      return {200, {{"content-type", "text/xml"}, {"etag", etag}}, summary(name, f, live ? "LIVE" : "DEVELOPMENT")};
    }
    return {200, {{"content-type", "application/octet-stream"}, {"etag", etag}}, live ? f.live : f.development};
  }
  if (request.method == "PUT" && action.empty()) {  // UpdateFunction
    if (auto refused = if_match_problem(request, development_etag(name, f))) return *refused;
    auto input = function_input(request.body, "UpdateFunctionRequest");
    if (auto* refused = std::get_if<Answer>(&input)) return *refused;
    const FunctionInput& in = std::get<FunctionInput>(input);
    f.comment = in.comment;
    f.runtime = in.runtime;
    f.development = in.code;
    ++f.version;
    return {200, {{"content-type", "text/xml"}, {"etag", development_etag(name, f)}}, summary(name, f, "DEVELOPMENT")};
  }
  if (request.method == "POST" && action == "/publish") {  // PublishFunction
    if (auto refused = if_match_problem(request, development_etag(name, f))) return *refused;
    f.live = f.development;
    ++f.published;
    return {200, {{"content-type", "text/xml"}}, summary(name, f, "LIVE")};
  }
  return error(405, "MethodNotAllowed", request.method + " " + path);
}

// Custom response headers and cache policies: created and listed, as CloudFront checks them.
AwsProxy::Answer AwsProxy::cloudfront_policy(const Request& request, const PolicyKind& kind) {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::string>& kept_policies = policies_[kind.root];
  const std::string root = kind.root;
  if (request.method == "GET") {  // List...Policies
    std::string items;
    for (const auto& [id, config] : kept_policies) {
      items += "<" + root + "Summary><Type>custom</Type><" + root + "><Id>" + id +
               "</Id><LastModifiedTime>2026-11-30T00:00:00Z</LastModifiedTime>" + config + "</" + root +
               "></" + root + "Summary>";
    }
    return {200, {{"content-type", "text/xml"}},
            "<?xml version=\"1.0\"?><" + root + "List xmlns=\"" + std::string(kXmlns) +
                "\"><MaxItems>100</MaxItems><Quantity>" + std::to_string(kept_policies.size()) +
                "</Quantity><Items>" + items + "</Items></" + root + "List>"};
  }
  if (request.method != "POST") return error(405, "MethodNotAllowed", request.method + " " + request.target);
  pugi::xml_document doc;
  const pugi::xml_node config =
      doc.load_string(request.body.c_str()) ? doc.child((root + "Config").c_str()) : pugi::xml_node();
  if (!config || std::string(config.attribute("xmlns").value()) != kXmlns || !config.child("Name")) {
    return error(400, "MalformedXML", "expected a " + root + "Config with a Name");
  }
  if (const std::string problem = kind.problem(config); !problem.empty()) {
    return error(400, "InvalidArgument", problem);
  }
  for (const auto& [id, kept] : kept_policies) {
    if (kept.find("<Name>" + std::string(config.child_value("Name")) + "</Name>") != std::string::npos) {
      return error(409, root + "AlreadyExists", "a policy has that name");
    }
  }
  const std::string id = kind.id_prefix + std::to_string(kept_policies.size() + 1);
  pugi::xml_document stored;
  stored.append_copy(config).remove_attribute("xmlns");
  kept_policies[id] = text_of(stored.first_child());
  return {201, {{"content-type", "text/xml"}, {"etag", "E1" + id}},
          "<?xml version=\"1.0\"?><" + root + " xmlns=\"" + std::string(kXmlns) + "\"><Id>" + id +
              "</Id><LastModifiedTime>2026-11-30T00:00:00Z</LastModifiedTime>" + kept_policies[id] + "</" +
              root + ">"};
}

AwsProxy::Answer AwsProxy::cloudfront_distribution(const Request& request, const std::string& path) {
  static const std::regex kConfig("distribution/([^/]+)/config");
  static const std::regex kOne("distribution/([^/]+)");
  std::smatch match;
  const bool is_config = std::regex_match(path, match, kConfig);
  const std::string id = is_config || std::regex_match(path, match, kOne) ? std::string(match[1]) : "";

  pugi::xml_document sent;
  if (request.method == "PUT" && is_config) {  // UpdateDistribution: what CloudFront checks
    if (auto problem = signature_problem(request)) return signature_refused(*problem);
    if (!sent.load_string(request.body.c_str()) || !sent.child("DistributionConfig")) {
      return error(400, "MalformedXML", "expected a DistributionConfig");
    }
    std::lock_guard lock(mutex_);
    const auto extras = distributions_.find(id);
    const std::string current =
        "E" + std::to_string(extras == distributions_.end() ? 1 : extras->second.version) + id;
    if (auto refused = if_match_problem(request, current)) return *refused;
    for (const pugi::xml_node& behaviour : behaviours_of(sent.child("DistributionConfig"))) {
      const std::string policy = behaviour.child_value("ResponseHeadersPolicyId");
      if (!policy.empty() && !policies_[kHeadersPolicy.root].count(policy)) {
        return error(404, "NoSuchResponseHeadersPolicy", "The response headers policy " + policy +
                                                             " does not exist.");
      }
      // AWS's managed cache policies have UUIDs; custom ones must exist.
      static const std::regex kManaged("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
      const std::string cache = behaviour.child_value("CachePolicyId");
      if (!cache.empty() && !std::regex_match(cache, kManaged) && !policies_[kCachePolicy.root].count(cache)) {
        return error(404, "NoSuchCachePolicy", "The cache policy " + cache + " does not exist.");
      }
      for (const auto& a : behaviour.select_nodes("FunctionAssociations/Items/FunctionAssociation")) {
        const std::string arn = a.node().child_value("FunctionARN");
        const auto function = functions_.find(arn.substr(arn.rfind('/') + 1));
        if (function == functions_.end() || function->second.published == 0 ||
            function_arn(function->first) != arn) {
          return error(400, "InvalidFunctionAssociation",
                       "The function " + arn + " does not exist or is not published (LIVE).");
        }
      }
    }
  }
  Answer answer = forward(request);
  if (answer.status < 200 || answer.status >= 300) return answer;

  std::lock_guard lock(mutex_);
  pugi::xml_document reply;
  if (!reply.load_string(answer.body.c_str())) return answer;
  if (request.method == "POST" && path == "distribution") {  // CreateDistribution
    pugi::xml_document made;
    made.load_string(request.body.c_str());
    DistributionExtras& extras =
        distributions_[reply.select_node("//Distribution/Id").node().child_value()];
    for (const auto& cname : made.select_nodes("//DistributionConfig/Aliases/Items/CNAME")) {
      extras.aliases.push_back(cname.node().child_value());
    }
    answer.headers["etag"] = "E1" + std::string(reply.select_node("//Distribution/Id").node().child_value());
  }
  if (request.method == "PUT" && is_config) {  // remember what moto drops
    DistributionExtras& extras = distributions_[id];
    ++extras.version;
    extras.aliases.clear();
    for (const auto& cname : sent.select_nodes("//DistributionConfig/Aliases/Items/CNAME")) {
      extras.aliases.push_back(cname.node().child_value());
    }
    extras.associations.clear();
    for (const pugi::xml_node& behaviour : behaviours_of(sent.child("DistributionConfig"))) {
      if (pugi::xml_node list = behaviour.child("FunctionAssociations")) {
        extras.associations[behaviour_key(behaviour)] = text_of(list);
      }
    }
  }
  // Every DistributionConfig answered gets its associations back, and every answer about
  // one distribution its ETag.
  for (const auto& node : reply.select_nodes("//DistributionConfig")) {
    const auto extras = distributions_.find(id);
    if (extras == distributions_.end()) break;
    for (pugi::xml_node behaviour : behaviours_of(node.node())) {
      const auto kept = extras->second.associations.find(behaviour_key(behaviour));
      if (kept == extras->second.associations.end()) continue;
      pugi::xml_document list;
      list.load_string(kept->second.c_str());
      pugi::xml_node old = behaviour.child("FunctionAssociations");
      if (old) {
        behaviour.insert_copy_after(list.first_child(), old);
        behaviour.remove_child(old);
      } else {
        behaviour.append_copy(list.first_child());
      }
    }
  }
  if (!id.empty() && distributions_.count(id)) {
    answer.headers["etag"] = "E" + std::to_string(distributions_[id].version) + id;
  }
  if (request.method == "GET" && path == "distribution") {  // ListDistributions
    for (const auto& item : reply.select_nodes("//DistributionSummary")) {
      pugi::xml_node summary = item.node();
      const auto extras = distributions_.find(summary.child_value("Id"));
      if (summary.child("Aliases") || extras == distributions_.end()) continue;
      pugi::xml_node aliases = summary.insert_child_after("Aliases", summary.child("DomainName"));
      aliases.append_child("Quantity").text() = static_cast<int>(extras->second.aliases.size());
      pugi::xml_node items = aliases.append_child("Items");
      for (const auto& alias : extras->second.aliases) items.append_child("CNAME").text() = alias.c_str();
    }
  }
  std::ostringstream out;
  reply.save(out, "", pugi::format_raw);
  answer.body = out.str();
  return answer;
}

}  // namespace wpfleet::testing
