#pragma once
// A unique temporary directory per test, removed at the end (kept when PITLOG_KEEP_TEST_DIRS is
// set, for debugging). Never a fixed path: ctest runs tests in parallel.
#include <filesystem>
#include <string>

namespace pitlog::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& tag = "pitlog");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  std::string sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// True when any regular file below dir contains needle (a scan for leaked secrets).
bool treeContains(const std::filesystem::path& dir, const std::string& needle);

}  // namespace pitlog::testing
