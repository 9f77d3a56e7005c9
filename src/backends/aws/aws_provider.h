// What the aws backend's seven providers share beyond the platform lookups: their base
// (one AwsPlatforms for all), how a fingerprint is made, and removals that find their
// resource already gone.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "aws/error.h"
#include "backends/aws/providers.h"

namespace wpfleet::aws_backend {

class AwsProvider : public ResourceProvider {
 public:
  explicit AwsProvider(SharedPlatforms platforms) : platforms_(std::move(platforms)) {}

 protected:
  SharedPlatforms platforms_;
};

// A fingerprint: the SHA-256 (hex) of `fields`, one a line.
std::string fingerprint_of(const std::vector<std::string>& fields);

// Success when the call worked, or failed because what it acts on is already gone (its
// error code is one of `gone`): a removal that finds nothing to remove did what was
// asked. Any other failure is returned.
template <class T, class Codes = std::initializer_list<std::string_view>>
Status ok_if_gone(aws::ApiResult<T> result, const Codes& gone) {
  if (result || std::find(gone.begin(), gone.end(), result.error().code) != gone.end()) return {};
  return std::move(result).error();
}

}  // namespace wpfleet::aws_backend
