#include "util/crypto.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>
#include <string_view>

namespace wpfleet {
namespace {

constexpr std::size_t kKeySize = 32;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::string_view kPasswordAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

Result<CipherContext> new_cipher_context() {
  CipherContext context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!context) return make_error("cannot create a cipher context: " + openssl_error());
  return context;
}

Status check_key(const Bytes& key) {
  if (key.size() != kKeySize) {
    return make_error("encryption key must be " + std::to_string(kKeySize) + " bytes, not " +
                      std::to_string(key.size()));
  }
  return {};
}

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

int int_size(std::size_t size) { return static_cast<int>(size); }

}  // namespace

Result<Bytes> random_bytes(std::size_t count) {
  Bytes bytes(count);
  if (count > 0 && RAND_bytes(bytes.data(), int_size(count)) != 1) {
    return make_error("cannot get random bytes from the system: " + openssl_error());
  }
  return bytes;
}

Result<std::string> random_password(std::size_t length) {
  // Only bytes below the largest multiple of the alphabet size map uniformly onto it;
  // the rest are rejected and redrawn.
  constexpr unsigned kAcceptBelow = 256 - 256 % kPasswordAlphabet.size();
  std::string password;
  password.reserve(length);
  while (password.size() < length) {
    TRY_ASSIGN(Bytes batch, random_bytes(length - password.size() + 8));
    for (std::uint8_t byte : batch) {
      if (byte >= kAcceptBelow || password.size() == length) continue;
      password.push_back(kPasswordAlphabet[byte % kPasswordAlphabet.size()]);
    }
  }
  return password;
}

Result<Bytes> seal(const Bytes& key, const std::string& plaintext, const std::string& aad) {
  TRY(check_key(key));
  TRY_ASSIGN(Bytes sealed, random_bytes(kNonceSize));
  sealed.resize(kNonceSize + plaintext.size() + kTagSize);
  std::uint8_t* nonce = sealed.data();
  std::uint8_t* ciphertext = nonce + kNonceSize;
  std::uint8_t* tag = ciphertext + plaintext.size();

  TRY_ASSIGN(CipherContext context, new_cipher_context());
  int written = 0;
  int finished = 0;
  bool ok = EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) == 1 &&
            EVP_EncryptUpdate(context.get(), nullptr, &written, bytes_of(aad),
                              int_size(aad.size())) == 1 &&
            EVP_EncryptUpdate(context.get(), ciphertext, &written, bytes_of(plaintext),
                              int_size(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(context.get(), ciphertext + written, &finished) == 1 &&
            EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, int_size(kTagSize), tag) == 1;
  if (!ok) return make_error("cannot encrypt: " + openssl_error());
  return sealed;
}

Result<std::string> open_sealed(const Bytes& key, const Bytes& sealed, const std::string& aad) {
  TRY(check_key(key));
  if (sealed.size() < kNonceSize + kTagSize) {
    return make_error("cannot decrypt: the sealed data is truncated");
  }
  const std::uint8_t* nonce = sealed.data();
  const std::uint8_t* ciphertext = nonce + kNonceSize;
  std::size_t ciphertext_size = sealed.size() - kNonceSize - kTagSize;
  // OpenSSL takes the expected tag through a non-const pointer but does not modify it.
  Bytes tag(ciphertext + ciphertext_size, sealed.data() + sealed.size());

  TRY_ASSIGN(CipherContext context, new_cipher_context());
  std::string plaintext(ciphertext_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  int written = 0;
  int finished = 0;
  bool ok =
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) == 1 &&
      EVP_DecryptUpdate(context.get(), nullptr, &written, bytes_of(aad), int_size(aad.size())) ==
          1 &&
      EVP_DecryptUpdate(context.get(), out, &written, ciphertext, int_size(ciphertext_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, int_size(kTagSize), tag.data()) ==
          1 &&
      EVP_DecryptFinal_ex(context.get(), out + written, &finished) == 1;
  if (!ok) {
    ERR_clear_error();
    return make_error(
        "cannot decrypt: the data was altered, or was sealed under another key or name");
  }
  return plaintext;
}

std::string sha256_hex(const std::string& data) {
  Sha256 hash;
  hash.update(data);
  return hash.hex_digest();
}

std::string md5_bytes(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}


Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }

namespace {
std::string hex_of(const unsigned char* digest, unsigned int size) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHexDigits[digest[i] >> 4]);
    hex.push_back(kHexDigits[digest[i] & 0x0f]);
  }
  return hex;
}
}  // namespace

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx_, digest, &size);
  return hex_of(digest, size);
}

std::string sha1_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha1(), nullptr);
  return hex_of(digest, size);
}

}  // namespace wpfleet
