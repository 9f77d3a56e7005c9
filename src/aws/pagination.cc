#include "aws/pagination.h"

namespace wpfleet::aws {

namespace {

// A service that hands back the token it was given would page forever.
ApiError stuck_pagination(const Service& service, const std::string& action) {
  ApiError error;
  error.service = service.id;
  error.action = action;
  error.message = std::string(service.id) + " " + action +
                  " returned the same page token twice: the endpoint is not paging; "
                  "check that it is an AWS API";
  return error;
}

}  // namespace

ApiResult<std::vector<nlohmann::json>> all_json_pages(Client& client, const Service& service,
                                                 const std::string& action, nlohmann::json input,
                                                 const std::string& token) {
  std::vector<nlohmann::json> pages;
  for (;;) {
    TRY_ASSIGN(nlohmann::json page, client.json(service, action, input));
    const auto next = page.find(token);
    const bool more = next != page.end() && next->is_string() && !next->get<std::string>().empty();
    if (more && input.contains(token) && input[token] == *next) {
      return stuck_pagination(service, action);
    }
    if (more) input[token] = *next;
    pages.push_back(std::move(page));
    if (!more) return pages;
  }
}

ApiResult<std::vector<pugi::xml_document>> all_query_pages(Client& client, const Service& service,
                                                     const std::string& action,
                                                     const QueryParams& params,
                                                     const std::string& marker_out) {
  std::vector<pugi::xml_document> pages;
  std::string marker;
  for (;;) {
    QueryParams page_params = params;
    if (!marker.empty()) page_params.emplace_back("Marker", marker);
    TRY_ASSIGN(pugi::xml_document page, client.query(service, action, page_params));
    const std::string next = page.select_node(("//" + marker_out).c_str()).node().child_value();
    if (!next.empty() && next == marker) return stuck_pagination(service, action);
    marker = next;
    pages.push_back(std::move(page));
    if (marker.empty()) return pages;
  }
}

}  // namespace wpfleet::aws
