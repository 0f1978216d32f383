#pragma once
// A self-signed certificate and its key, made at test time through OpenSSL's API and written as
// PEM into the test's own temp dir: no committed key, no `openssl` command line. Header-only so the
// e2e and RPC test executables can share it without another library.
//
// The certificate names `localhost` (DNS) and 127.0.0.1 (IP) and is its own CA (basicConstraints
// CA:TRUE), so a client that trusts this one file can verify a pitd that presents it.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace pitlog::testing {

struct TestCert {
  std::string certFile;  // PEM certificate
  std::string keyFile;   // PEM private key (unencrypted unless asked otherwise)
  std::string certPem;
};

namespace tls_cert_detail {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};

inline void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("making the test certificate: ") + what);
}

inline void addExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  require(ext != nullptr, "an extension");
  require(X509_add_ext(cert, ext, -1) == 1, "adding an extension");
  X509_EXTENSION_free(ext);
}

}  // namespace tls_cert_detail

// Writes <dir>/<name>.cert.pem and <dir>/<name>.key.pem: a P-256 key and a certificate valid from
// now for `days` (negative: one that expired that long ago). With `passphrase`, the key is
// written encrypted (AES-256-CBC), for the startup check that refuses such keys.
inline TestCert makeSelfSignedCert(const std::string& dir, const std::string& name,
                                   long days = 1, const char* passphrase = nullptr) {
  using namespace tls_cert_detail;
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  require(key != nullptr, "an EC key");

  std::unique_ptr<X509, X509Free> cert(X509_new());
  require(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);  // v3, for the extensions
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  if (days >= 0) {
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24 * 3600);
  } else {
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), (days - 1) * 24 * 3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24 * 3600);
  }
  require(X509_set_pubkey(cert.get(), key.get()) == 1, "the public key");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  require(X509_set_issuer_name(cert.get(), subject) == 1, "the issuer");
  addExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  addExtension(cert.get(), NID_subject_key_identifier, "hash");
  addExtension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  require(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signing");

  TestCert out{dir + "/" + name + ".cert.pem", dir + "/" + name + ".key.pem", {}};
  {
    std::unique_ptr<FILE, FileClose> f(std::fopen(out.certFile.c_str(), "w"));
    require(f != nullptr, "opening the certificate file");
    require(PEM_write_X509(f.get(), cert.get()) == 1, "writing the certificate");
  }
  {
    std::unique_ptr<FILE, FileClose> f(std::fopen(out.keyFile.c_str(), "w"));
    require(f != nullptr, "opening the key file");
    const EVP_CIPHER* cipher = passphrase ? EVP_aes_256_cbc() : nullptr;
    require(PEM_write_PrivateKey(f.get(), key.get(), cipher,
                                 reinterpret_cast<const unsigned char*>(passphrase),
                                 passphrase ? static_cast<int>(std::strlen(passphrase)) : 0,
                                 nullptr, nullptr) == 1,
            "writing the key");
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  out.certPem.assign(data, static_cast<size_t>(n));
  return out;
}

}  // namespace pitlog::testing
