// A small certificate authority with OpenSSL: enough to serve HTTPS on a private
// machine with certificates a client can verify against one CA file.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "util/result.h"

namespace wpfleet {

struct KeyAndCertificate {
  std::string key_pem;          // PKCS#8 private key
  std::string certificate_pem;
};

// A self-signed CA (EC P-256) valid for `days`.
Result<KeyAndCertificate> make_certificate_authority(const std::string& common_name, int days);

// A server certificate for `dns_names` (the first is also the common name; wildcards
// like "*.wpsit.localhost" allowed), signed by `ca`.
Result<KeyAndCertificate> make_server_certificate(const KeyAndCertificate& ca,
                                                  const std::vector<std::string>& dns_names,
                                                  int days);

// The DNS names a PEM certificate is for (its subjectAltName entries).
Result<std::vector<std::string>> certificate_dns_names(const std::string& certificate_pem);

// When a PEM certificate stops being valid (its notAfter).
Result<std::chrono::system_clock::time_point> certificate_expiry(const std::string& certificate_pem);

}  // namespace wpfleet
