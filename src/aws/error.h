// A failed AWS call as a value: the service's error code (for callers that branch on
// it, e.g. ResourceNotFoundException means "create it") and, as the Error message, a
// sentence for the user that names the service, the action and what to check.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "aws/service.h"
#include "util/http_client.h"
#include "util/result.h"

namespace wpfleet::aws {

// Derives from Error, so TRY on an ApiResult works inside functions that return a
// plain Result: the typed part is dropped and the user's message kept.
struct ApiError : Error {
  std::string service;  // serviceId, e.g. "Secrets Manager"
  std::string action;
  std::string code;     // e.g. "AccessDeniedException"; empty when no answer came
  std::string aws_message;
  long http_status = 0;  // 0 when no answer came
  std::string request_id;
  int attempts = 1;
};

template <class T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  ApiResult(ApiError error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }
  const ApiError& error() const& { return std::get<1>(v_); }
  ApiError&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, ApiError> v_;
};

// What the user should know to act on an error; filled into ApiError::message.
struct CallContext {
  const Service& service;
  std::string action;
  std::string endpoint;            // the URL called
  std::string credentials_source;  // e.g. "profile 'sit' of ~/.aws/credentials"
};

// The error an AWS answer (status >= 300) describes: JSON (`__type`, `message`), XML
// (`<Error><Code>`, as query services and moto for every service answer) or the
// x-amzn-ErrorType header.
ApiError error_from_reply(const CallContext& context, const HttpReply& reply, int attempts);

// No answer came at all (refused, timed out, DNS).
ApiError unreachable_error(const CallContext& context, const std::string& transport_message,
                           int attempts);

// Throttling and server-side failures that a later attempt may not meet.
bool is_retryable(const ApiError& error);

}  // namespace wpfleet::aws
