#include "server/log.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>

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

void configure(const std::string& level, LogFormat format) {
  auto logger = std::make_shared<spdlog::logger>(
      "pitd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  gFormat = format;
  if (format == LogFormat::json) {
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(level));
  // Every record matters to an operator reading a crash: do not buffer.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

bool enabled(spdlog::level::level_enum level) { return spdlog::default_logger_raw()->should_log(level); }

void write(spdlog::level::level_enum level, std::string_view message,
           std::initializer_list<Field> fields) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  std::string record = gFormat.load() == LogFormat::json ? jsonRecord(message, fields)
                                                         : textRecord(message, fields);
  logger->log(level, "{}", record);
}

}  // namespace pitlog::server::log
