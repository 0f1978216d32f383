#include "server/service_keys.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>

namespace pitlog::server {

namespace {

constexpr const char* kDefaultKeyFile = "service.key";
constexpr size_t kKeyRandomBytes = 32;

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read service keys file '" + path + "'");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// "psk_" and 64 hex digits of CSPRNG output; the prefix lets secret scanners recognise one.
std::string newKey() {
  unsigned char random[kKeyRandomBytes];
  if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("OpenSSL: CSPRNG failure");
  std::string key = "psk_" + events::toHex(std::string_view(reinterpret_cast<char*>(random),
                                                             sizeof random));
  OPENSSL_cleanse(random, sizeof random);
  return key;
}

void writeNewKeyFile(const std::string& path) {
  // O_EXCL: two pitd started at once must not each write a different key.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error("cannot create service key file '" + path + "': " +
                             std::strerror(errno));
  }
  std::string line = newKey() + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  int savedErrno = errno;
  OPENSSL_cleanse(line.data(), line.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw std::runtime_error("cannot write service key file '" + path + "': " +
                             std::strerror(savedErrno));
  }
}

}  // namespace

ServiceKeys ServiceKeys::parse(std::string_view text) {
  ServiceKeys keys;
  size_t lineNo = 0;
  while (!text.empty()) {
    ++lineNo;
    auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    for (char c : line) {
      if (c <= ' ' || c >= 0x7f) {
        throw std::invalid_argument("line " + std::to_string(lineNo) +
                                    ": a key must be printable ASCII without spaces");
      }
    }
    keys.digests_.push_back(events::sha256(line));
    if (line.size() < kMinKeyLength) ++keys.shortKeys_;
  }
  if (keys.digests_.empty()) throw std::invalid_argument("it holds no key");
  return keys;
}

ServiceKeys ServiceKeys::loadFile(const std::string& path) {
  std::string text = readWhole(path);
  try {
    auto keys = parse(text);
    OPENSSL_cleanse(text.data(), text.size());
    return keys;
  } catch (const std::invalid_argument& e) {
    OPENSSL_cleanse(text.data(), text.size());
    throw std::runtime_error("service keys file '" + path + "': " + e.what());
  }
}

ServiceKeys ServiceKeys::loadOrCreateDefault(const std::string& dataDir, std::string* path,
                                             bool* created) {
  std::error_code ec;
  std::filesystem::create_directories(dataDir, ec);
  if (ec) throw std::runtime_error("cannot create data directory '" + dataDir + "': " + ec.message());
  *path = (std::filesystem::path(dataDir) / kDefaultKeyFile).string();
  *created = false;
  if (!std::filesystem::exists(*path)) {
    writeNewKeyFile(*path);
    *created = true;
  }
  // API.md: the key alone on its first line. Only that line counts, even if someone appended.
  std::string text = readWhole(*path);
  std::string_view first = text;
  first = first.substr(0, first.find('\n'));
  try {
    auto keys = parse(first);
    OPENSSL_cleanse(text.data(), text.size());
    return keys;
  } catch (const std::invalid_argument& e) {
    OPENSSL_cleanse(text.data(), text.size());
    throw std::runtime_error("service key file '" + *path + "': its first line: " + e.what());
  }
}

std::optional<unsigned> ServiceKeys::openToOthers(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  const unsigned mode = st.st_mode & 07777;
  if ((mode & 077) == 0) return std::nullopt;
  return mode;
}

bool ServiceKeys::authenticate(std::string_view presented) const {
  const events::Digest d = events::sha256(presented);
  // Every stored digest is compared, whatever matched earlier, so timing says nothing.
  int matches = 0;
  for (const auto& stored : digests_) {
    matches |= CRYPTO_memcmp(d.data(), stored.data(), d.size()) == 0 ? 1 : 0;
  }
  return matches != 0;
}

namespace {
std::atomic<uint64_t> nextVersion{1};
}  // namespace

SharedServiceKeys::SharedServiceKeys(ServiceKeys keys)
    : keys_(std::make_shared<const ServiceKeys>(std::move(keys))), version_(nextVersion++) {}

void SharedServiceKeys::replace(ServiceKeys keys) {
  auto replacement = std::make_shared<const ServiceKeys>(std::move(keys));
  std::lock_guard lock(mu_);
  keys_ = std::move(replacement);
  version_.store(nextVersion++, std::memory_order_release);
}

const ServiceKeys& SharedServiceKeys::current() const {
  // This thread's view: the keys of the version it saw last (versions are unique to an object).
  thread_local uint64_t version = 0;
  thread_local std::shared_ptr<const ServiceKeys> keys;
  if (version != version_.load(std::memory_order_acquire)) {
    std::lock_guard lock(mu_);
    keys = keys_;
    version = version_.load(std::memory_order_relaxed);
  }
  return *keys;
}

}  // namespace pitlog::server
