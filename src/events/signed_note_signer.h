#pragma once
// The Ed25519 key that signs notes (pitd's checkpoints), through OpenSSL.
//
// Key file: the private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), the form
// `openssl genpkey -algorithm ed25519` writes. loadOrCreate() creates it with mode 0600 (O_EXCL,
// so two processes starting at once cannot each write a different key) when it is missing. The
// private key never leaves this class: no accessor, and no message or log line carries it.
#include <memory>
#include <string>
#include <string_view>

#include "events/signed_note.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace pitlog::events {

// Thread-safe after construction (OpenSSL's one-shot Ed25519 signing uses a context per call).
class NoteSigner {
 public:
  // The key in `path`, or a new one written there when the file does not exist; *created (may be
  // null) tells which. Throws std::runtime_error naming the path (never the key) when the file
  // cannot be read, created or written, or does not hold an Ed25519 private key.
  // REQUIRES: isValidNoteKeyName(name).
  static std::unique_ptr<NoteSigner> loadOrCreate(const std::string& path, std::string name,
                                                  bool* created);
  // The key in `path`, which must exist (the offline tools never create one). Throws as above.
  static std::unique_ptr<NoteSigner> load(const std::string& path, std::string name);
  // From a 32-byte RFC 8032 private key (seed): known-answer tests.
  static std::unique_ptr<NoteSigner> fromSeed(std::string name, std::string_view seed);

  ~NoteSigner();
  NoteSigner(const NoteSigner&) = delete;
  NoteSigner& operator=(const NoteSigner&) = delete;

  // The matching verifier (GET /v1/log/public-key serves verifier().encoded()).
  const NoteVerifier& verifier() const { return verifier_; }
  // This key's signature of `text` (which must end in "\n", as a note text does).
  NoteSignature sign(std::string_view text) const;
  // The signed note: text, blank line, this key's signature line.
  std::string signNote(std::string_view text) const;

 private:
  NoteSigner(EVP_PKEY* key, std::string name);
  EVP_PKEY* key_;  // owned
  NoteVerifier verifier_;
};

}  // namespace pitlog::events
