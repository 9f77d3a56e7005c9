#include "backends/aws/aws_provider.h"

#include "util/crypto.h"

namespace wpfleet::aws_backend {

std::string fingerprint_of(const std::vector<std::string>& fields) {
  std::string text;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) text += '\n';
    text += fields[i];
  }
  return sha256_hex(text);
}

}  // namespace wpfleet::aws_backend
