#pragma once
// Request ids for requests that bring no X-Request-Id: 8 bytes from OpenSSL's CSPRNG, as 16
// lowercase hex digits. The bytes are drawn a pool at a time: RAND_bytes() costs a getpid()
// syscall per call (OpenSSL's fork check), which was one syscall in four per introspection.
// The ids are what they were -- CSPRNG output, never reused -- only drawn in bulk.
//
// Not thread-safe: one per event loop (ApiService holds one).
#include <array>
#include <cstddef>
#include <string>

namespace pitlog::server::http {

class RequestIds {
 public:
  static constexpr size_t kIdBytes = 8;
  static constexpr size_t kPoolBytes = 512 * kIdBytes;

  // Throws std::runtime_error when the CSPRNG fails.
  std::string next();

 private:
  std::array<unsigned char, kPoolBytes> pool_{};
  size_t used_ = kPoolBytes;  // empty: the first next() fills it
};

}  // namespace pitlog::server::http
