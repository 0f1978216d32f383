#include "server/tls.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace pitlog::server {

namespace {

// A PEM chain or key is a few KiB; anything far larger is the wrong file.
constexpr size_t kMaxPemBytes = 1 << 20;

// Holds a file's bytes and wipes them when it goes: the key's text must not linger in freed heap.
class FileText {
 public:
  FileText() = default;
  ~FileText() { OPENSSL_cleanse(text_.data(), text_.size()); }
  FileText(const FileText&) = delete;
  FileText& operator=(const FileText&) = delete;
  std::string& text() { return text_; }

 private:
  std::string text_;
};

void readPem(const std::string& path, const char* what, FileText* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw TlsFileError(std::string("cannot read the TLS ") + what + " file '" + path +
                       "': " + std::strerror(errno));
  }
  std::string& text = out->text();
  text.reserve(16384);
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      OPENSSL_cleanse(chunk, sizeof chunk);
      throw TlsFileError(std::string("cannot read the TLS ") + what + " file '" + path +
                         "': " + std::strerror(error));
    }
    if (n == 0) break;
    text.append(chunk, static_cast<size_t>(n));
    if (text.size() > kMaxPemBytes) {
      ::close(fd);
      OPENSSL_cleanse(chunk, sizeof chunk);
      throw TlsFileError(std::string("the TLS ") + what + " file '" + path +
                         "' is over 1 MiB: not a PEM " + what);
    }
  }
  ::close(fd);
  OPENSSL_cleanse(chunk, sizeof chunk);
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> memoryBio(const std::string& text) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Refuses to decrypt: pitd has no terminal to ask for a passphrase, and OpenSSL's default
// callback would try to read one from it.
int noPassphrase(char*, int, int, void*) { return -1; }

std::string subjectOf(X509* cert) {
  char buffer[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buffer, sizeof buffer);
  return buffer;
}

std::string timeText(const ASN1_TIME* t) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), t) != 1) return "?";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

ServerTls loadServerTls(const std::string& certFile, const std::string& keyFile) {
  FileText certPem, keyPem;
  readPem(certFile, "certificate", &certPem);
  readPem(keyFile, "key", &keyPem);

  // OpenSSL's own reading first, for checks and messages kj's constructors do not give.
  auto certBio = memoryBio(certPem.text());
  std::unique_ptr<X509, X509Free> leaf(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr));
  if (!leaf) {
    throw TlsFileError("the TLS certificate file '" + certFile +
                       "' holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
  }
  auto keyBio = memoryBio(keyPem.text());
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(keyBio.get(), nullptr, &noPassphrase, nullptr));
  if (!key) {
    const bool encrypted = keyPem.text().find("ENCRYPTED") != std::string::npos;
    throw TlsFileError(
        "the TLS key file '" + keyFile + "' " +
        (encrypted ? std::string("holds an encrypted key; pitd needs it unencrypted (e.g. "
                                 "`openssl pkey -in KEY -out PLAIN`, then chmod 0600)")
                   : std::string("holds no PEM private key (expected -----BEGIN PRIVATE KEY-----)")));
  }
  ERR_clear_error();
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    ERR_clear_error();
    throw TlsFileError("the TLS key in '" + keyFile + "' does not belong to the certificate in '" +
                       certFile + "'");
  }

  ServerTls tls;
  tls.subject = subjectOf(leaf.get());
  tls.notAfter = timeText(X509_get0_notAfter(leaf.get()));
  tls.expired = X509_cmp_current_time(X509_get0_notAfter(leaf.get())) < 0;

  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
                kj::TlsKeypair keypair{
                    kj::TlsPrivateKey(kj::StringPtr(keyPem.text().c_str(), keyPem.text().size())),
                    kj::TlsCertificate(kj::StringPtr(certPem.text().c_str(), certPem.text().size()))};
                kj::TlsContext::Options options;
                // A server that does not ask for client certificates has nothing to verify.
                options.useSystemTrustStore = false;
                options.minVersion = kj::max(kj::TlsVersion::TLS_1_2, options.minVersion);
                options.defaultKeypair = keypair;
                // The context takes its own references to the key and certificates.
                tls.context = kj::heap<kj::TlsContext>(kj::mv(options));
              })) {
    // OpenSSL's reasons name what is wrong (a chain too long, a bad intermediate), never key bytes.
    throw TlsFileError("cannot use the TLS certificate '" + certFile + "' with the key '" +
                       keyFile + "': " + e->getDescription().cStr());
  }
  return tls;
}

}  // namespace pitlog::server
