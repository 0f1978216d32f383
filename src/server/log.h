#pragma once
// pitd's log: one line per record on stderr, as text (`<time> <level> <message> key=value ...`)
// or as a JSON object per line (`{"time", "level", "msg", key: value...}`). Records carry
// structured fields rather than formatted prose so that both forms say the same thing.
// Never pass a token, a service key or a request body here.
//
// When a record reaches stderr: every record is written out at once (with the records waiting
// before it), except the access log's (access()), which waits in memory -- at most about a
// second, or until 64 KiB are waiting, another record is logged, or pitd stops -- so that a
// request costs no syscall for its log line.
//
// Thread-safe: records may be written from any thread.
#include <spdlog/common.h>

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unistd.h>

#include "server/config.h"

namespace pitlog::server::log {

struct Field {
  std::string_view key;
  std::string value;
};

// Installs the logger, writing to `fd` (it must stay open). Call once, first thing in main, after
// captureShutdownSignals(): it starts the thread that writes the waiting records out every
// `flushEvery` (0: never; tests). `level` is a --log-level name.
void configure(const std::string& level, LogFormat format, int fd = STDERR_FILENO,
               std::chrono::seconds flushEvery = std::chrono::seconds(1));

void write(spdlog::level::level_enum level, std::string_view message,
           std::initializer_list<Field> fields = {});
// The access log's record ("http", at info level): the one record that is not written out at
// once (see above).
void access(std::initializer_list<Field> fields);
// Writes out every record waiting.
void flush();
inline void info(std::string_view message, std::initializer_list<Field> fields = {}) {
  write(spdlog::level::info, message, fields);
}
inline void warn(std::string_view message, std::initializer_list<Field> fields = {}) {
  write(spdlog::level::warn, message, fields);
}
inline void error(std::string_view message, std::initializer_list<Field> fields = {}) {
  write(spdlog::level::err, message, fields);
}
bool enabled(spdlog::level::level_enum level);

}  // namespace pitlog::server::log
