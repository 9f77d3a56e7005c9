#include "util/tls.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace wpfleet {
namespace {

// Verifies `leaf` against `ca` the way a TLS client would (chain only, no host name).
bool verifies(const std::string& ca_pem, const std::string& leaf_pem) {
  BIO* ca_bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  BIO* leaf_bio = BIO_new_mem_buf(leaf_pem.data(), static_cast<int>(leaf_pem.size()));
  X509* ca = PEM_read_bio_X509(ca_bio, nullptr, nullptr, nullptr);
  X509* leaf = PEM_read_bio_X509(leaf_bio, nullptr, nullptr, nullptr);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(leaf);
  X509_free(ca);
  BIO_free(leaf_bio);
  BIO_free(ca_bio);
  return ok;
}

TEST(Tls, ServerCertificateVerifiesAgainstItsCaOnly) {
  auto ca = make_certificate_authority("wpfleet test CA", 30);
  ASSERT_TRUE(ca.ok()) << ca.error().message;
  auto other = make_certificate_authority("another CA", 30);
  ASSERT_TRUE(other.ok());
  auto server = make_server_certificate(*ca, {"*.wpsit.localhost", "www.example.test"}, 30);
  ASSERT_TRUE(server.ok()) << server.error().message;
  EXPECT_NE(server->key_pem.find("PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(verifies(ca->certificate_pem, server->certificate_pem));
  EXPECT_FALSE(verifies(other->certificate_pem, server->certificate_pem));
}

TEST(Tls, NamesAreReadBack) {
  auto ca = make_certificate_authority("wpfleet test CA", 30);
  ASSERT_TRUE(ca.ok());
  auto server = make_server_certificate(*ca, {"*.wpsit.localhost", "a.example"}, 30);
  ASSERT_TRUE(server.ok());
  auto names = certificate_dns_names(server->certificate_pem);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"*.wpsit.localhost", "a.example"}));
}

TEST(Tls, NoNamesIsAnError) {
  auto ca = make_certificate_authority("wpfleet test CA", 30);
  ASSERT_TRUE(ca.ok());
  EXPECT_FALSE(make_server_certificate(*ca, {}, 30).ok());
  EXPECT_FALSE(certificate_dns_names("not a certificate").ok());
}

TEST(Tls, ExpiryIsTheCertificatesNotAfter) {
  auto ca = make_certificate_authority("wpfleet test CA", 30);
  ASSERT_TRUE(ca.ok()) << ca.error().message;
  auto server = make_server_certificate(*ca, {"a.wpsit.localhost"}, 7);
  ASSERT_TRUE(server.ok()) << server.error().message;
  auto expiry = certificate_expiry(server->certificate_pem);
  ASSERT_TRUE(expiry.ok()) << expiry.error().message;
  const auto left = *expiry - std::chrono::system_clock::now();
  EXPECT_GT(left, std::chrono::hours(24 * 7) - std::chrono::minutes(5));
  EXPECT_LE(left, std::chrono::hours(24 * 7) + std::chrono::minutes(5));
  EXPECT_FALSE(certificate_expiry("not a certificate").ok());
}

}  // namespace
}  // namespace wpfleet
