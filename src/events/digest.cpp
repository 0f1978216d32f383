#include "events/digest.h"

#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>

namespace pitlog::events {

struct Sha256::Impl {
  EVP_MD* md = nullptr;
  EVP_MD_CTX* ctx = nullptr;
  bool started = false;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->md == nullptr || impl_->ctx == nullptr) {
    EVP_MD_free(impl_->md);
    EVP_MD_CTX_free(impl_->ctx);
    throw std::runtime_error("OpenSSL: SHA-256 is not available");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(impl_->ctx);
  EVP_MD_free(impl_->md);
}

Sha256& Sha256::update(std::string_view bytes) {
  if (!impl_->started) {
    if (EVP_DigestInit_ex(impl_->ctx, impl_->md, nullptr) != 1) {
      throw std::runtime_error("OpenSSL: SHA-256 init failed");
    }
    impl_->started = true;
  }
  if (EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size()) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 update failed");
  }
  return *this;
}

Digest Sha256::finish() {
  if (!impl_->started) update(std::string_view());
  Digest out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) != 1 || len != out.size()) {
    throw std::runtime_error("OpenSSL: SHA-256 final failed");
  }
  impl_->started = false;
  return out;
}

Digest sha256(std::string_view bytes) {
  thread_local Sha256 hasher;
  return hasher.update(bytes).finish();
}

std::string toHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

static int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Digest> digestFromHex(std::string_view hex) {
  Digest d;
  if (hex.size() != d.size() * 2) return std::nullopt;
  for (size_t i = 0; i < d.size(); ++i) {
    int hi = hexValue(hex[2 * i]), lo = hexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return d;
}

std::optional<Digest> digestFromBytes(std::string_view bytes) {
  Digest d;
  if (bytes.size() != d.size()) return std::nullopt;
  std::memcpy(d.data(), bytes.data(), d.size());
  return d;
}

}  // namespace pitlog::events
