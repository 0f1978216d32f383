#include "fs_faults.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace pitlog::campaigns::faults {

uint64_t DiskFiller::fill() {
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + path_ + ": " + std::strerror(errno));
  // Large writes first, then smaller ones, down to the last page: a file system with even one
  // page free would let a small WAL append through.
  std::vector<char> block(1 << 20, 'f');
  uint64_t written = 0;
  for (size_t size = block.size(); size >= 512; size /= 4) {
    for (;;) {
      ssize_t n = ::write(fd, block.data(), size);
      if (n > 0) {
        written += static_cast<uint64_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;  // ENOSPC (or a short write): try a smaller size
    }
  }
  ::fsync(fd);
  ::close(fd);
  return written;
}

void DiskFiller::free() { ::unlink(path_.c_str()); }

void FaultFlag::on() {
  int fd = ::open(flag_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + flag_ + ": " + std::strerror(errno));
  ::close(fd);
}

void FaultFlag::off() { ::unlink(flag_.c_str()); }

uint64_t freeBytes(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return 0;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

}  // namespace pitlog::campaigns::faults
