#include "server/http/request_ids.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <string_view>

#include "events/digest.h"

namespace pitlog::server::http {

std::string RequestIds::next() {
  if (used_ == pool_.size()) {
    if (RAND_bytes(pool_.data(), static_cast<int>(pool_.size())) != 1) {
      throw std::runtime_error("OpenSSL: CSPRNG failure");
    }
    used_ = 0;
  }
  unsigned char* id = pool_.data() + used_;
  used_ += kIdBytes;
  std::string hex = events::toHex(std::string_view(reinterpret_cast<char*>(id), kIdBytes));
  OPENSSL_cleanse(id, kIdBytes);  // handed out once: the pool keeps only what is still to come
  return hex;
}

}  // namespace pitlog::server::http
