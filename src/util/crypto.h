// Cryptographic primitives (OpenSSL underneath). Randomness is always from the
// operating system's CSPRNG.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "util/result.h"

struct evp_md_ctx_st;

namespace wpfleet {

using Bytes = std::vector<std::uint8_t>;

Result<Bytes> random_bytes(std::size_t count);

// A password of `length` characters drawn uniformly from [A-Za-z0-9] (no modulo bias).
Result<std::string> random_password(std::size_t length = 32);

// AES-256-GCM. The 12-byte nonce is random and prepended to the ciphertext, the
// 16-byte tag appended: output = nonce || ciphertext || tag. `aad` binds the
// ciphertext to its context (e.g. the secret's name) so rows cannot be swapped.
Result<Bytes> seal(const Bytes& key, const std::string& plaintext, const std::string& aad);
Result<std::string> open_sealed(const Bytes& key, const Bytes& sealed, const std::string& aad);

std::string sha256_hex(const std::string& data);

// SHA-256 over data that arrives in pieces.
class Sha256 {
 public:
  Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();
  void update(std::string_view data);
  std::string hex_digest();  // once, at the end

 private:
  ::evp_md_ctx_st* ctx_;
};

// SHA-1 in hex: only to check what is published with SHA-1 alone (it resists no
// deliberate collision; nothing wpfleet makes uses it).
std::string sha1_hex(std::string_view data);

// Raw 16-byte MD5 digest: only where a format requires it (nginx's secure_link).
std::string md5_bytes(const std::string& data);

std::string base64(const std::string& data);

}  // namespace wpfleet
