#pragma once
// The storage faults the campaign puts under a running pitd, each reversible:
//  - DiskFiller fills the data dir's (small, tmpfs) file system to the last byte with a filler
//    file, so that the next write pitd makes fails with ENOSPC; free() deletes it.
//  - FaultFlag switches one of fs_fault_shim.c's faults (loaded into pitd with LD_PRELOAD): the
//    data dir turned read-only (see that file for why not `mount -o remount,ro`), or fsync and
//    fdatasync failing with EIO. on() creates the flag file the shim looks for, off() removes it.
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

class FaultFlag {
 public:
  explicit FaultFlag(std::string flagPath) : flag_(std::move(flagPath)) {}
  ~FaultFlag() { off(); }
  const std::string& flag() const { return flag_; }
  void on();
  void off();

 private:
  std::string flag_;
};

// Bytes available to an unprivileged writer on the file system holding path.
uint64_t freeBytes(const std::string& path);

}  // namespace pitlog::campaigns::faults
