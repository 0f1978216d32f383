#pragma once
// The keys of the backend services allowed to call pitd (API.md: `Authorization: Bearer <key>`).
// Only SHA-256 digests of the keys are held in memory, and a presented key is compared against
// each of them in constant time, so neither the keys nor timing reveal anything.
//
// Thread-safety: immutable after construction; authenticate() may run on any thread.
#include <string>
#include <string_view>
#include <vector>

#include "events/digest.h"

namespace pitlog::server {

class ServiceKeys {
 public:
  // Reads a keys file: one key per line; blank lines and lines starting with '#' are ignored;
  // surrounding whitespace is trimmed. Throws std::runtime_error naming the file (never a key)
  // when it cannot be read, holds no key, or a key has characters a Bearer token cannot carry.
  static ServiceKeys loadFile(const std::string& path);

  // The default when no keys file is configured: <dataDir>/service.key, created at first start
  // with a fresh random key alone on its first line, mode 0600. *created tells whether this call
  // wrote it. Throws std::runtime_error naming the path on failure.
  static ServiceKeys loadOrCreateDefault(const std::string& dataDir, std::string* path,
                                         bool* created);

  // Parses keys file text (see loadFile). Throws std::invalid_argument naming the line.
  static ServiceKeys parse(std::string_view text);

  bool authenticate(std::string_view presented) const;
  size_t size() const { return digests_.size(); }

 private:
  std::vector<events::Digest> digests_;
};

}  // namespace pitlog::server
