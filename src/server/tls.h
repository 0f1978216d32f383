#pragma once
// pitd's side of TLS: the files named by --tls-cert and --tls-key turned into a kj::TlsContext.
// Every property of the files that would otherwise surface as a failed handshake for every client
// (unreadable, not PEM, an encrypted key, a key of another certificate) is checked here, at start,
// so that pitd refuses to start with a message naming the file.
#include <kj/compat/tls.h>

#include <stdexcept>
#include <string>

namespace pitlog::server {

// A certificate or key file pitd cannot use. what() names the file and says why; it never holds
// the file's contents.
class TlsFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ServerTls {
  kj::Own<kj::TlsContext> context;  // server side: presents the certificate, TLS 1.2 or newer
  std::string subject;              // the leaf certificate's subject, for the startup log
  std::string notAfter;             // its expiry, e.g. "Nov 28 17:00:00 2027 GMT"
  bool expired = false;             // already past notAfter: clients will refuse it
};

// Reads the PEM certificate chain (leaf first) and the unencrypted PEM private key, checks that
// the key belongs to the leaf, and builds the context. Throws TlsFileError. The key's text is
// wiped from memory once parsed.
ServerTls loadServerTls(const std::string& certFile, const std::string& keyFile);

}  // namespace pitlog::server
