// Service keys: the keys file, the generated default key file, and authentication.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <thread>
#include <vector>

#include "server/service_keys.h"
#include "support/temp_dir.h"

using pitlog::server::ServiceKeys;
using pitlog::server::SharedServiceKeys;
using pitlog::testing::TempDir;

TEST_CASE("ServiceKeys::parse: one key a line / comments and blanks ignored") {
  auto keys = ServiceKeys::parse("# backend keys\n\n  key-one  \nkey_two\r\n# old: key-three\n");
  CHECK(keys.size() == 2);
  CHECK(keys.authenticate("key-one"));
  CHECK(keys.authenticate("key_two"));
  CHECK_FALSE(keys.authenticate("key-three"));
  CHECK_FALSE(keys.authenticate("key-one "));
  CHECK_FALSE(keys.authenticate(""));
  CHECK_THROWS_AS(ServiceKeys::parse("# nothing\n\n"), std::invalid_argument);
  CHECK_THROWS_AS(ServiceKeys::parse("a key with spaces\n"), std::invalid_argument);
}

TEST_CASE("ServiceKeys::loadFile names the file / never a key") {
  TempDir dir("pitd-keys");
  std::ofstream(dir.sub("keys")) << "secret-key-1\nbad key\n";
  try {
    ServiceKeys::loadFile(dir.sub("keys"));
    FAIL("a bad key was accepted");
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    CHECK(what.find(dir.sub("keys")) != std::string::npos);
    CHECK(what.find("line 2") != std::string::npos);
    CHECK(what.find("secret-key-1") == std::string::npos);
  }
  CHECK_THROWS_AS(ServiceKeys::loadFile(dir.sub("missing")), std::runtime_error);
}

TEST_CASE("the default key file: created once / mode 0600 / key alone on its first line / reused") {
  TempDir dir("pitd-keys");
  const std::string data = dir.sub("data");
  std::string path;
  bool created = false;
  auto first = ServiceKeys::loadOrCreateDefault(data, &path, &created);
  CHECK(created);
  CHECK(path == data + "/service.key");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string key = text.substr(0, text.find('\n'));
  CHECK(text == key + "\n");
  CHECK(key.size() >= 32);
  CHECK(first.authenticate(key));

  auto again = ServiceKeys::loadOrCreateDefault(data, &path, &created);
  CHECK_FALSE(created);
  CHECK(again.authenticate(key));
}

TEST_CASE("ServiceKeys: short keys are counted / a keys file others may read is reported") {
  auto keys = ServiceKeys::parse("short-key\n" + std::string(32, 'k') + "\n" + std::string(31, 's') + "\n");
  CHECK(keys.size() == 3);
  CHECK(keys.shortKeys() == 2);
  TempDir dir("pitd-keys");
  const std::string file = dir.sub("keys");
  std::ofstream(file) << std::string(40, 'k') << "\n";
  ::chmod(file.c_str(), 0600);
  CHECK_FALSE(ServiceKeys::openToOthers(file).has_value());
  ::chmod(file.c_str(), 0640);
  CHECK(ServiceKeys::openToOthers(file) == std::optional<unsigned>(0640));
  ::chmod(file.c_str(), 0604);
  CHECK(ServiceKeys::openToOthers(file) == std::optional<unsigned>(0604));
  CHECK_FALSE(ServiceKeys::openToOthers(dir.sub("missing")).has_value());
}

TEST_CASE("shared service keys: after replace() returns, every thread authenticates with the new "
          "keys and none with the old") {
  const std::string oldKey = "svc-old-0123456789abcdef0123456789ab";
  const std::string newKey = "svc-new-0123456789abcdef0123456789ab";
  SharedServiceKeys keys(ServiceKeys::parse(oldKey + "\n"));
  std::atomic<bool> replaced{false}, stop{false};
  std::atomic<int> wrong{0}, checkedAfter{0};
  std::vector<std::thread> loops;
  for (int i = 0; i < 4; ++i) {
    loops.emplace_back([&] {
      while (!stop.load()) {
        const bool after = replaced.load();  // read before the keys: a later replace is allowed
        const ServiceKeys& now = keys.current();
        if (after) {
          if (now.authenticate(oldKey) || !now.authenticate(newKey)) ++wrong;
          ++checkedAfter;
        } else if (!now.authenticate(oldKey) && !now.authenticate(newKey)) {
          ++wrong;  // neither: a torn read
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  keys.replace(ServiceKeys::parse(newKey + "\n"));
  replaced = true;
  while (checkedAfter.load() < 1000) std::this_thread::yield();
  stop = true;
  for (auto& t : loops) t.join();
  CHECK(wrong == 0);
}

TEST_CASE("shared service keys: a new object at a destroyed one's address is not mistaken for it") {
  const std::string first = "svc-first-0123456789abcdef0123456789";
  const std::string second = "svc-second-0123456789abcdef01234567";
  std::optional<SharedServiceKeys> keys;
  keys.emplace(ServiceKeys::parse(first + "\n"));
  CHECK(keys->current().authenticate(first));
  keys.reset();
  keys.emplace(ServiceKeys::parse(second + "\n"));  // the same storage
  CHECK(keys->current().authenticate(second));
  CHECK_FALSE(keys->current().authenticate(first));
}
