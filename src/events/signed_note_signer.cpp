#include "events/signed_note_signer.h"

#include <fcntl.h>
#include <kj/debug.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace pitlog::events {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};

std::runtime_error keyFileError(const std::string& path, const std::string& what) {
  return std::runtime_error("log signing key file '" + path + "': " + what);
}

std::string publicKeyOf(EVP_PKEY* key) {
  std::string pub(kEd25519PublicKeySize, '\0');
  size_t len = pub.size();
  KJ_ASSERT(EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(pub.data()), &len) ==
                    1 &&
                len == kEd25519PublicKeySize,
            "OpenSSL: cannot read an Ed25519 public key");
  return pub;
}

PkeyPtr readKeyFile(const std::string& path) {
  std::unique_ptr<FILE, FileClose> f(std::fopen(path.c_str(), "re"));
  if (!f) throw keyFileError(path, std::string("cannot read: ") + std::strerror(errno));
  PkeyPtr key(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
  if (!key) throw keyFileError(path, "not an unencrypted PEM private key");
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    throw keyFileError(path, "not an Ed25519 key");
  }
  return key;
}

// Writes a fresh key to `path`; false when the file appeared meanwhile (another process won).
bool writeNewKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) return false;
  if (fd < 0) throw keyFileError(path, std::string("cannot create: ") + std::strerror(errno));
  std::unique_ptr<FILE, FileClose> f(::fdopen(fd, "w"));
  if (!f) {
    ::close(fd);
    ::unlink(path.c_str());
    throw keyFileError(path, "cannot open for writing");
  }
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  bool ok = key && PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                        nullptr) == 1 &&
            std::fflush(f.get()) == 0 && ::fsync(fd) == 0;
  if (!ok) {
    f.reset();
    ::unlink(path.c_str());
    throw keyFileError(path, "cannot write a new key");
  }
  return true;
}

}  // namespace

NoteSigner::NoteSigner(EVP_PKEY* key, std::string name)
    : key_(key), verifier_(std::move(name), publicKeyOf(key)) {}

NoteSigner::~NoteSigner() { EVP_PKEY_free(key_); }

std::unique_ptr<NoteSigner> NoteSigner::loadOrCreate(const std::string& path, std::string name,
                                                     bool* created) {
  KJ_REQUIRE(isValidNoteKeyName(name), "invalid note key name");
  bool made = false;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) throw keyFileError(path, std::strerror(errno));
    made = writeNewKeyFile(path);
  }
  if (created) *created = made;
  return load(path, std::move(name));
}

std::unique_ptr<NoteSigner> NoteSigner::load(const std::string& path, std::string name) {
  KJ_REQUIRE(isValidNoteKeyName(name), "invalid note key name");
  PkeyPtr key = readKeyFile(path);
  return std::unique_ptr<NoteSigner>(new NoteSigner(key.release(), std::move(name)));
}

std::unique_ptr<NoteSigner> NoteSigner::fromSeed(std::string name, std::string_view seed) {
  KJ_REQUIRE(seed.size() == 32, seed.size(), "an Ed25519 private key is 32 bytes");
  KJ_REQUIRE(isValidNoteKeyName(name), "invalid note key name");
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  KJ_ASSERT(key != nullptr, "OpenSSL: cannot load an Ed25519 private key");
  return std::unique_ptr<NoteSigner>(new NoteSigner(key, std::move(name)));
}

NoteSignature NoteSigner::sign(std::string_view text) const {
  KJ_REQUIRE(!text.empty() && text.back() == '\n', "a note text ends in a newline");
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  KJ_ASSERT(ctx != nullptr, "OpenSSL: out of memory");
  KJ_ASSERT(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_) == 1,
            "OpenSSL: cannot start an Ed25519 signature");
  std::string sig(kEd25519SignatureSize, '\0');
  size_t len = sig.size();
  KJ_ASSERT(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1 &&
                len == kEd25519SignatureSize,
            "OpenSSL: Ed25519 signing failed");
  return NoteSignature{verifier_.name(), verifier_.keyId(), std::move(sig)};
}

std::string NoteSigner::signNote(std::string_view text) const {
  return formatSignedNote(SignedNote{std::string(text), {sign(text)}});
}

}  // namespace pitlog::events
