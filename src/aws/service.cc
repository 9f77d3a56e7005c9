#include "aws/service.h"

#include <algorithm>
#include <cctype>

namespace wpfleet::aws {

std::string endpoint_env_suffix(const Service& service) {
  std::string suffix = service.id;
  std::transform(suffix.begin(), suffix.end(), suffix.begin(), [](unsigned char c) {
    return c == ' ' ? '_' : static_cast<char>(std::toupper(c));
  });
  return suffix;
}

}  // namespace wpfleet::aws
