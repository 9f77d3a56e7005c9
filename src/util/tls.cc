#include "util/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace wpfleet {

namespace {
template <class T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, decltype([](T* p) { Free(p); })>;
using Key = Owned<EVP_PKEY, EVP_PKEY_free>;
using Cert = Owned<X509, X509_free>;
using Bio = Owned<BIO, BIO_free_all>;

Error openssl_error(const std::string& doing) {
  char text[256] = "unknown error";
  if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, text, sizeof text);
  return make_error("cannot " + doing + ": " + text);
}

Result<Key> new_ec_key() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return openssl_error("generate an EC key");
  return key;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Result<std::string> key_pem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) {
    return openssl_error("write a private key");
  }
  return bio_text(bio.get());
}

Result<std::string> cert_pem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), cert)) return openssl_error("write a certificate");
  return bio_text(bio.get());
}

Result<Cert> read_cert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return openssl_error("read a certificate");
  return cert;
}

Result<Key> read_key(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return openssl_error("read a private key");
  return key;
}

Status add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION, X509_EXTENSION_free> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || !X509_add_ext(cert, ext.get(), -1)) return openssl_error("add a certificate extension");
  return {};
}

// A certificate for `key` named `common_name`, valid from now for `days`, with a random
// serial; issuer and extensions are the caller's.
Result<Cert> new_cert(EVP_PKEY* key, const std::string& common_name, int days) {
  Cert cert(X509_new());
  unsigned char serial[16];
  if (!cert || RAND_bytes(serial, sizeof serial) != 1) return openssl_error("create a certificate");
  serial[0] &= 0x7f;  // positive
  Owned<BIGNUM, BN_free> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  X509_set_version(cert.get(), 2);
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("wpfleet"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  return cert;
}
}  // namespace

Result<KeyAndCertificate> make_certificate_authority(const std::string& common_name, int days) {
  TRY_ASSIGN(Key key, new_ec_key());
  TRY_ASSIGN(Cert cert, new_cert(key.get(), common_name, days));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  TRY(add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  TRY(add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  TRY(add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) return openssl_error("sign the CA");
  TRY_ASSIGN(std::string key_text, key_pem(key.get()));
  TRY_ASSIGN(std::string cert_text, cert_pem(cert.get()));
  return KeyAndCertificate{key_text, cert_text};
}

Result<KeyAndCertificate> make_server_certificate(const KeyAndCertificate& ca,
                                                  const std::vector<std::string>& dns_names,
                                                  int days) {
  if (dns_names.empty()) return make_error("a certificate needs at least one host name");
  TRY_ASSIGN(Key ca_key, read_key(ca.key_pem));
  TRY_ASSIGN(Cert ca_cert, read_cert(ca.certificate_pem));
  TRY_ASSIGN(Key key, new_ec_key());
  TRY_ASSIGN(Cert cert, new_cert(key.get(), dns_names.front(), days));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
  std::string san;
  for (const auto& name : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + name;
  TRY(add_extension(cert.get(), ca_cert.get(), NID_subject_alt_name, san));
  TRY(add_extension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  TRY(add_extension(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth"));
  TRY(add_extension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid"));
  if (!X509_sign(cert.get(), ca_key.get(), EVP_sha256())) return openssl_error("sign a certificate");
  TRY_ASSIGN(std::string key_text, key_pem(key.get()));
  TRY_ASSIGN(std::string cert_text, cert_pem(cert.get()));
  return KeyAndCertificate{key_text, cert_text};
}

Result<std::vector<std::string>> certificate_dns_names(const std::string& certificate_pem) {
  TRY_ASSIGN(Cert cert, read_cert(certificate_pem));
  std::vector<std::string> names;
  Owned<GENERAL_NAMES, GENERAL_NAMES_free> sans(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans.get(), i);
    if (name->type != GEN_DNS) continue;
    const ASN1_STRING* dns = name->d.dNSName;
    names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                       static_cast<std::size_t>(ASN1_STRING_length(dns)));
  }
  return names;
}

Result<std::chrono::system_clock::time_point> certificate_expiry(
    const std::string& certificate_pem) {
  TRY_ASSIGN(Cert cert, read_cert(certificate_pem));
  struct tm expiry {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &expiry) != 1) {
    return make_error("the certificate's expiry date cannot be read: replace the certificate");
  }
  return std::chrono::system_clock::from_time_t(timegm(&expiry));
}

}  // namespace wpfleet
