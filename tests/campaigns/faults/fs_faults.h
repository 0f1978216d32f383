#pragma once
// The two storage faults the campaign puts under a running pitd, each reversible:
//  - DiskFiller fills the data dir's (small, tmpfs) file system to the last byte with a filler
//    file, so that the next write pitd makes fails with ENOSPC; free() deletes it.
//  - ReadOnlySwitch turns the data dir read-only for pitd through readonly_shim.c (loaded into
//    pitd with LD_PRELOAD; see that file for why not `mount -o remount,ro`): on() creates the flag
//    file the shim looks for, off() removes it.
#include <cstdint>
#include <string>

namespace pitlog::campaigns::faults {

class DiskFiller {
 public:
  explicit DiskFiller(std::string path) : path_(std::move(path)) {}
  ~DiskFiller() { free(); }
  // Writes the filler until the file system answers ENOSPC. Returns the bytes written.
  uint64_t fill();
  void free();

 private:
  std::string path_;
};

class ReadOnlySwitch {
 public:
  explicit ReadOnlySwitch(std::string flagPath) : flag_(std::move(flagPath)) {}
  ~ReadOnlySwitch() { off(); }
  const std::string& flag() const { return flag_; }
  void on();
  void off();

 private:
  std::string flag_;
};

// Bytes available to an unprivileged writer on the file system holding path.
uint64_t freeBytes(const std::string& path);

}  // namespace pitlog::campaigns::faults
