#pragma once
// pitd's log: one line per record on stderr, as text (`<time> <level> <message> key=value ...`)
// or as a JSON object per line (`{"time", "level", "msg", key: value...}`). Records carry
// structured fields rather than formatted prose so that both forms say the same thing.
// Never pass a token, a service key or a request body here.
//
// Thread-safe: records may be written from any thread.
#include <spdlog/common.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "server/config.h"

namespace pitlog::server::log {

struct Field {
  std::string_view key;
  std::string value;
};

// Installs the stderr logger. Call once, first thing in main. `level` is a --log-level name.
void configure(const std::string& level, LogFormat format);

void write(spdlog::level::level_enum level, std::string_view message,
           std::initializer_list<Field> fields = {});
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
