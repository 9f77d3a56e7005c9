// Every page of a listing, for the two styles AWS APIs page in.
#pragma once

#include <string>
#include <vector>

#include "aws/client.h"

namespace wpfleet::aws {

// JSON APIs: the answer's `token` ("NextToken", or "nextToken" for ECS and Logs) goes
// into the next request's `token` until an answer has none.
ApiResult<std::vector<nlohmann::json>> all_json_pages(Client& client, const Service& service,
                                                 const std::string& action, nlohmann::json input,
                                                 const std::string& token = "NextToken");

// Query APIs: the answer's `marker_out` element ("NextMarker" for ELBv2, "Marker" for IAM
// and RDS) goes into the next request's Marker parameter until an answer has none.
ApiResult<std::vector<pugi::xml_document>> all_query_pages(Client& client, const Service& service,
                                                     const std::string& action,
                                                     const QueryParams& params,
                                                     const std::string& marker_out);

}  // namespace wpfleet::aws
