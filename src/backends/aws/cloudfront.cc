#include "backends/aws/cloudfront.h"

#include <functional>
#include <sstream>

#include "aws/sigv4.h"
#include "util/crypto.h"

namespace wpfleet::aws_backend {

namespace {

constexpr const char* kApi = "/2020-05-31";
constexpr const char* kNamespace = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

std::string function_path(const std::string& name) {
  return std::string(kApi) + "/function/" + aws::uri_encode(name);
}

std::string etag_of(const aws::RestXmlReply& reply) {
  const auto found = reply.headers.find("etag");
  return found == reply.headers.end() ? "" : found->second;
}

std::string xml_text(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

// <Create|Update>FunctionRequest: the comment, the runtime and the code (base64).
std::string function_request(const char* root, const std::string& name,
                             const std::string& comment, const std::string& code) {
  pugi::xml_document doc;
  pugi::xml_node request = doc.append_child(root);
  request.append_attribute("xmlns") = kNamespace;
  if (!name.empty()) request.append_child("Name").text() = name.c_str();
  pugi::xml_node config = request.append_child("FunctionConfig");
  config.append_child("Comment").text() = comment.c_str();
  config.append_child("Runtime").text() = kFunctionRuntime;
  request.append_child("FunctionCode").text() = base64(code).c_str();
  return xml_text(doc);
}

// The pages of a CloudFront listing, 100 a page (Marker in, NextMarker out), until
// `visit` says it found what it looks for or none is left.
Status each_page(aws::Client& client, const std::string& action, const std::string& path,
                 aws::QueryParams query, const std::function<bool(const pugi::xml_document&)>& visit) {
  query.emplace_back("MaxItems", "100");
  std::string marker;
  for (;;) {
    aws::QueryParams asked = query;
    if (!marker.empty()) asked.emplace_back("Marker", marker);
    TRY_ASSIGN(aws::RestXmlReply page,
               client.rest_xml(aws::kCloudFront, action, "GET", std::string(kApi) + path, asked));
    if (visit(page.xml)) return {};
    const std::string next = page.xml.select_node("//NextMarker").node().child_value();
    if (next.empty() || next == marker) return {};
    marker = next;
  }
}

}  // namespace

Result<std::optional<FunctionStage>> get_function(aws::Client& client, const std::string& name,
                                                  const char* stage) {
  auto got = client.rest_xml(aws::kCloudFront, "GetFunction", "GET", function_path(name),
                             {{"Stage", stage}});
  if (!got && got.error().code == "NoSuchFunctionExists") return std::optional<FunctionStage>();
  TRY(got);
  return std::optional<FunctionStage>(FunctionStage{std::move(got->body), etag_of(*got)});
}

Result<std::string> create_function(aws::Client& client, const std::string& name,
                                    const std::string& comment, const std::string& code) {
  TRY_ASSIGN(aws::RestXmlReply made,
             client.rest_xml(aws::kCloudFront, "CreateFunction", "POST",
                             std::string(kApi) + "/function", {},
                             {{"Content-Type", "application/xml"}},
                             function_request("CreateFunctionRequest", name, comment, code)));
  return etag_of(made);
}

Result<std::string> update_function(aws::Client& client, const std::string& name,
                                    const std::string& etag, const std::string& comment,
                                    const std::string& code) {
  TRY_ASSIGN(aws::RestXmlReply updated,
             client.rest_xml(aws::kCloudFront, "UpdateFunction", "PUT", function_path(name), {},
                             {{"Content-Type", "application/xml"}, {"If-Match", etag}},
                             function_request("UpdateFunctionRequest", "", comment, code)));
  return etag_of(updated);
}

Result<std::string> publish_function(aws::Client& client, const std::string& name,
                                     const std::string& etag) {
  TRY_ASSIGN(aws::RestXmlReply published,
             client.rest_xml(aws::kCloudFront, "PublishFunction", "POST",
                             function_path(name) + "/publish", {}, {{"If-Match", etag}}));
  std::string arn =
      published.xml.select_node("//FunctionMetadata/FunctionARN").node().child_value();
  if (arn.empty()) {
    return make_error("CloudFront PublishFunction of " + name +
                      " answered without the function's ARN: run `wpfleet apply` again");
  }
  return arn;
}

namespace {

// The id of the custom policy of `kind` ("ResponseHeadersPolicy", "CachePolicy") named
// `name`: List<kind>s answers <kind>Summary/<kind> items with a <kind>Config.
Result<std::optional<std::string>> find_policy(aws::Client& client, const std::string& kind,
                                               const std::string& path, const std::string& name) {
  std::optional<std::string> found;
  const std::string items = "//" + kind + "Summary/" + kind;
  const std::string config = kind + "Config";
  TRY(each_page(client, "List" + kind + "s", path, {{"Type", "custom"}},
                [&](const pugi::xml_document& page) {
                  for (const auto& item : page.select_nodes(items.c_str())) {
                    if (item.node().child(config.c_str()).child_value("Name") == name) {
                      found = item.node().child_value("Id");
                    }
                  }
                  return found.has_value();
                }));
  return found;
}

// Creates a policy of `kind` from its <kind>Config; its id.
Result<std::string> create_policy(aws::Client& client, const std::string& kind, const std::string& path,
                                  const std::string& name, const pugi::xml_document& config) {
  TRY_ASSIGN(aws::RestXmlReply made,
             client.rest_xml(aws::kCloudFront, "Create" + kind, "POST", std::string(kApi) + path, {},
                             {{"Content-Type", "application/xml"}}, xml_text(config)));
  std::string id = made.xml.select_node(("//" + kind + "/Id").c_str()).node().child_value();
  if (id.empty()) {
    return make_error("CloudFront Create" + kind + " of " + name + " answered without an id: run "
                      "`wpfleet apply` again");
  }
  return id;
}

}  // namespace

Result<std::optional<std::string>> find_response_headers_policy(aws::Client& client,
                                                                const std::string& name) {
  return find_policy(client, "ResponseHeadersPolicy", "/response-headers-policy", name);
}

Result<std::optional<std::string>> find_cache_policy(aws::Client& client, const std::string& name) {
  return find_policy(client, "CachePolicy", "/cache-policy", name);
}

Result<std::string> create_cache_policy(aws::Client& client, const std::string& name,
                                        const std::string& comment, const CacheKey& key) {
  pugi::xml_document doc;
  pugi::xml_node config = doc.append_child("CachePolicyConfig");
  config.append_attribute("xmlns") = kNamespace;
  config.append_child("Comment").text() = comment.c_str();
  config.append_child("Name").text() = name.c_str();
  config.append_child("DefaultTTL").text() = key.default_ttl;
  config.append_child("MaxTTL").text() = key.max_ttl;
  config.append_child("MinTTL").text() = 0;
  pugi::xml_node parameters = config.append_child("ParametersInCacheKeyAndForwardedToOrigin");
  parameters.append_child("EnableAcceptEncodingGzip").text() = "true";
  parameters.append_child("EnableAcceptEncodingBrotli").text() = "true";
  pugi::xml_node headers = parameters.append_child("HeadersConfig");
  headers.append_child("HeaderBehavior").text() = key.headers.empty() ? "none" : "whitelist";
  if (!key.headers.empty()) {
    pugi::xml_node list = headers.append_child("Headers");
    list.append_child("Quantity").text() = static_cast<int>(key.headers.size());
    pugi::xml_node items = list.append_child("Items");
    for (const auto& header : key.headers) items.append_child("Name").text() = header.c_str();
  }
  parameters.append_child("CookiesConfig").append_child("CookieBehavior").text() = "none";
  parameters.append_child("QueryStringsConfig").append_child("QueryStringBehavior").text() =
      key.query_strings ? "all" : "none";
  return create_policy(client, "CachePolicy", "/cache-policy", name, doc);
}

Result<std::string> create_response_headers_policy(aws::Client& client, const std::string& name,
                                                   const std::string& comment,
                                                   const std::string& header,
                                                   const std::string& value) {
  pugi::xml_document doc;
  pugi::xml_node config = doc.append_child("ResponseHeadersPolicyConfig");
  config.append_attribute("xmlns") = kNamespace;
  config.append_child("Comment").text() = comment.c_str();
  config.append_child("Name").text() = name.c_str();
  pugi::xml_node headers = config.append_child("CustomHeadersConfig");
  headers.append_child("Quantity").text() = 1;
  pugi::xml_node item = headers.append_child("Items").append_child("ResponseHeadersPolicyCustomHeader");
  item.append_child("Header").text() = header.c_str();
  item.append_child("Value").text() = value.c_str();
  item.append_child("Override").text() = "true";
  return create_policy(client, "ResponseHeadersPolicy", "/response-headers-policy", name, doc);
}

Result<std::optional<FoundDistribution>> find_distribution(aws::Client& client,
                                                           const std::string& alias) {
  std::optional<FoundDistribution> found;
  TRY(each_page(client, "ListDistributions", "/distribution", {},
                [&](const pugi::xml_document& page) {
                  for (const auto& summary : page.select_nodes("//DistributionSummary")) {
                    for (const auto& cname : summary.node().select_nodes("Aliases/Items/CNAME")) {
                      if (cname.node().child_value() != alias) continue;
                      found = FoundDistribution{summary.node().child_value("Id"),
                                                summary.node().child_value("DomainName")};
                    }
                  }
                  return found.has_value();
                }));
  return found;
}

Result<DistributionConfig> get_distribution_config(aws::Client& client, const std::string& id) {
  TRY_ASSIGN(aws::RestXmlReply got,
             client.rest_xml(aws::kCloudFront, "GetDistributionConfig", "GET",
                             std::string(kApi) + "/distribution/" + aws::uri_encode(id) + "/config"));
  DistributionConfig config;
  config.id = id;
  config.etag = etag_of(got);
  config.xml.reset(got.xml);
  if (!config.xml.child("DistributionConfig")) {
    return make_error("CloudFront GetDistributionConfig of " + id +
                      " answered without a DistributionConfig: run `wpfleet apply` again");
  }
  return config;
}

Status update_distribution(aws::Client& client, const DistributionConfig& config) {
  TRY(client.rest_xml(aws::kCloudFront, "UpdateDistribution", "PUT",
                      std::string(kApi) + "/distribution/" + aws::uri_encode(config.id) + "/config",
                      {}, {{"Content-Type", "application/xml"}, {"If-Match", config.etag}},
                      xml_text(config.xml)));
  return {};
}

Result<std::string> distribution_status(aws::Client& client, const std::string& id) {
  TRY_ASSIGN(aws::RestXmlReply got,
             client.rest_xml(aws::kCloudFront, "GetDistribution", "GET",
                             std::string(kApi) + "/distribution/" + aws::uri_encode(id)));
  return std::string(got.xml.select_node("//Distribution/Status").node().child_value());
}

}  // namespace wpfleet::aws_backend
