#include "server/webhooks/webhook_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace pitlog::server::webhooks {

namespace {

constexpr std::string_view kPrefix = "pwk_";
constexpr std::string_view kFingerprintLabel = "pitlog webhook key fingerprint v1";
constexpr std::string_view kSecretLabel = "pitlog webhook secret v1";

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::array<unsigned char, 32> hmac(const std::array<unsigned char, 32>& key,
                                   std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &length) == nullptr ||
      length != out.size()) {
    throw std::runtime_error("OpenSSL: HMAC-SHA256 failed");
  }
  return out;
}

void appendPart(std::string& out, std::string_view part) {
  out += std::to_string(part.size());
  out += ':';
  out += part;
}

void writeNewKeyFile(const std::string& path) {
  std::array<unsigned char, 32> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    throw std::runtime_error("OpenSSL: CSPRNG failure");
  }
  std::string line = std::string(kPrefix) +
                     events::toHex(std::string_view(reinterpret_cast<char*>(random.data()), 32)) +
                     "\n";
  OPENSSL_cleanse(random.data(), random.size());
  // O_EXCL: two pitd started at once must not each write a different key.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    OPENSSL_cleanse(line.data(), line.size());
    throw std::runtime_error("cannot create webhook key file '" + path +
                             "': " + std::strerror(errno));
  }
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  const int savedErrno = errno;
  OPENSSL_cleanse(line.data(), line.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw std::runtime_error("cannot write webhook key file '" + path +
                             "': " + std::strerror(savedErrno));
  }
}

}  // namespace

WebhookKey::WebhookKey(WebhookKey&& other) noexcept : key_(other.key_) {
  OPENSSL_cleanse(other.key_.data(), other.key_.size());
}

WebhookKey::~WebhookKey() { OPENSSL_cleanse(key_.data(), key_.size()); }

WebhookKey WebhookKey::fromBytes(std::string_view key32) {
  if (key32.size() != 32) throw std::invalid_argument("a webhook key is 32 bytes");
  WebhookKey k;
  std::memcpy(k.key_.data(), key32.data(), 32);
  return k;
}

WebhookKey WebhookKey::loadOrCreate(const std::string& path, bool* created) {
  *created = false;
  if (::access(path.c_str(), F_OK) != 0) {
    writeNewKeyFile(path);
    *created = true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read webhook key file '" + path + "'");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto nl = text.find('\n');
  std::string_view line(text.data(), nl == std::string::npos ? text.size() : nl);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  WebhookKey k;
  bool ok = line.size() == kPrefix.size() + 64 && line.substr(0, kPrefix.size()) == kPrefix;
  for (size_t i = 0; ok && i < 32; ++i) {
    const int hi = hexDigit(line[kPrefix.size() + 2 * i]);
    const int lo = hexDigit(line[kPrefix.size() + 2 * i + 1]);
    ok = hi >= 0 && lo >= 0;
    if (ok) k.key_[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  OPENSSL_cleanse(text.data(), text.size());
  if (!ok) {
    throw std::runtime_error(
        "webhook key file '" + path +
        "' does not hold a key (its first line must be pwk_ and 64 hex digits)");
  }
  return k;
}

events::Digest WebhookKey::fingerprint() const {
  const auto mac = hmac(key_, kFingerprintLabel);
  events::Digest out{};
  std::memcpy(out.data(), mac.data(), out.size());
  return out;
}

std::array<unsigned char, 32> WebhookKey::secretFor(std::string_view account,
                                                    std::string_view webhookId,
                                                    std::string_view secretEventId) const {
  std::string data(kSecretLabel);
  appendPart(data, account);
  appendPart(data, webhookId);
  appendPart(data, secretEventId);
  return hmac(key_, data);
}

}  // namespace pitlog::server::webhooks
