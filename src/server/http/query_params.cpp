#include "server/http/query_params.h"

#include <algorithm>
#include <string>

namespace pitlog::server::http {

namespace {

const std::string* find(const Call& call, std::string_view name) {
  auto it = call.query.find(std::string(name));
  return it == call.query.end() ? nullptr : &it->second;
}

}  // namespace

std::optional<commands::Error> readBool(const Call& call, std::string_view name, bool* out) {
  const std::string* v = find(call, name);
  if (v == nullptr) return std::nullopt;
  if (*v == "true") {
    *out = true;
  } else if (*v == "false") {
    *out = false;
  } else {
    return commands::invalidArgument(std::string(name) + " must be true or false",
                                     std::string(name));
  }
  return std::nullopt;
}

std::optional<commands::Error> readUint(const Call& call, std::string_view name, uint64_t min,
                                        uint64_t max, std::optional<uint64_t>* out) {
  const std::string* v = find(call, name);
  if (v == nullptr) return std::nullopt;
  auto bad = [&] {
    return commands::invalidArgument(
        std::string(name) + (max == kAnyUint ? std::string(" must be a decimal integer")
                                             : " must be an integer from " + std::to_string(min) +
                                                   " to " + std::to_string(max)),
        std::string(name));
  };
  if (v->empty() || v->size() > 19 ||
      !std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      (v->size() > 1 && v->front() == '0')) {
    return bad();
  }
  uint64_t n = std::stoull(*v);
  if (n < min || n > max) return bad();
  *out = n;
  return std::nullopt;
}

std::optional<commands::Error> readTime(const Call& call, std::string_view name,
                                        std::optional<events::UnixMillis>* out) {
  const std::string* v = find(call, name);
  if (v == nullptr) return std::nullopt;
  auto t = events::parseRfc3339(*v);
  if (!t) {
    return commands::invalidArgument(
        std::string(name) + " must be an RFC 3339 time such as 2026-11-28T17:00:00.000Z",
        std::string(name));
  }
  *out = *t;
  return std::nullopt;
}

}  // namespace pitlog::server::http
