#include "server/log.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "server/log_sink.h"

namespace pitlog::server::log {

namespace {

std::atomic<LogFormat> gFormat{LogFormat::text};

bool needsQuotes(std::string_view v) {
  return v.empty() || std::any_of(v.begin(), v.end(), [](unsigned char c) {
           return c <= ' ' || c == '"' || c == '=' || c >= 0x7f;
         });
}

std::string textRecord(std::string_view message, std::initializer_list<Field> fields) {
  std::string line(message);
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    if (!needsQuotes(f.value)) {
      line += f.value;
      continue;
    }
    // Quoted with the few escapes that keep one record on one line.
    line += '"';
    for (char c : f.value) {
      if (c == '"' || c == '\\') {
        line += '\\';
        line += c;
      } else if (static_cast<unsigned char>(c) < ' ') {
        line += '?';
      } else {
        line += c;
      }
    }
    line += '"';
  }
  return line;
}

// The members of the record's JSON object after "time" and "level" (the pattern writes those);
// encoded by Cap'n Proto's codec, then stripped of its braces so the pattern can wrap it.
std::string jsonRecord(std::string_view message, std::initializer_list<Field> fields) {
  capnp::MallocMessageBuilder builder;
  auto object = builder.initRoot<capnp::JsonValue>().initObject(
      static_cast<capnp::uint>(fields.size() + 1));
  object[0].setName("msg");
  object[0].initValue().setString(capnp::Text::Reader(message.data(), message.size()));
  capnp::uint i = 1;
  for (const auto& f : fields) {
    object[i].setName(capnp::Text::Reader(f.key.data(), f.key.size()));
    object[i].initValue().setString(capnp::Text::Reader(f.value.data(), f.value.size()));
    ++i;
  }
  static const capnp::JsonCodec codec;
  kj::String text = codec.encodeRaw(builder.getRoot<capnp::JsonValue>().asReader());
  return std::string(text.begin() + 1, text.size() - 2);
}

}  // namespace

void configure(const std::string& level, LogFormat format, int fd,
               std::chrono::seconds flushEvery) {
  auto logger = std::make_shared<spdlog::logger>("pitd", std::make_shared<FdSink>(fd));
  gFormat = format;
  if (format == LogFormat::json) {
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(level));
  // write() flushes every record but the access log's itself; flush_on stays off, or it would
  // flush those too.
  logger->flush_on(spdlog::level::off);
  spdlog::set_default_logger(std::move(logger));  // registered: flush_every reaches it
  spdlog::flush_every(flushEvery);  // 0: never (spdlog's periodic worker stays idle)
}

bool enabled(spdlog::level::level_enum level) { return spdlog::default_logger_raw()->should_log(level); }

namespace {

void emit(spdlog::level::level_enum level, std::string_view message,
          std::initializer_list<Field> fields, bool flushNow) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  std::string record = gFormat.load() == LogFormat::json ? jsonRecord(message, fields)
                                                         : textRecord(message, fields);
  logger->log(level, "{}", record);
  // Every record but the access log's matters to an operator reading a crash, or to a test
  // waiting for "listening http": it goes out now, with any access records before it.
  if (flushNow) logger->flush();
}

}  // namespace

void write(spdlog::level::level_enum level, std::string_view message,
           std::initializer_list<Field> fields) {
  emit(level, message, fields, true);
}

void access(std::initializer_list<Field> fields) {
  emit(spdlog::level::info, "http", fields, false);
}

void flush() { spdlog::default_logger_raw()->flush(); }

}  // namespace pitlog::server::log
