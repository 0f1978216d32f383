#include "server/http/introspect_fast.h"

#include <algorithm>

namespace pitlog::server::http {

namespace {

// Text the codec writes between quotes as it is, and that decodes to itself.
bool isPlain(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
}

// Consumes `"name":"value"` at the front of *rest; the value, or nullopt.
std::optional<std::string_view> member(std::string_view* rest, std::string_view name) {
  std::string_view r = *rest;
  if (r.size() < name.size() + 4 || r[0] != '"' || r.substr(1, name.size()) != name) {
    return std::nullopt;
  }
  r.remove_prefix(name.size() + 1);
  if (r.substr(0, 3) != "\":\"") return std::nullopt;
  r.remove_prefix(3);
  const size_t end = r.find('"');
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view value = r.substr(0, end);
  if (!isPlain(value)) return std::nullopt;
  *rest = r.substr(end + 1);
  return value;
}

// The codec prints a number as a double; below 10^15 that is the integer's digits.
constexpr uint64_t kPlainNumberLimit = 1'000'000'000'000'000;

}  // namespace

std::optional<PlainIntrospectRequest> parsePlainIntrospectRequest(std::string_view body) {
  if (body.size() < 2 || body.front() != '{' || body.back() != '}') return std::nullopt;
  std::string_view rest = body.substr(1, body.size() - 2);
  PlainIntrospectRequest out;
  if (auto token = member(&rest, "token")) {
    out.token = *token;
    if (rest.empty()) return out;
    if (rest.front() != ',') return std::nullopt;
    rest.remove_prefix(1);
    out.requiredScope = member(&rest, "requiredScope");
  } else if (auto scope = member(&rest, "requiredScope")) {
    out.requiredScope = scope;
    if (rest.empty() || rest.front() != ',') return std::nullopt;
    rest.remove_prefix(1);
    auto t = member(&rest, "token");
    if (!t) return std::nullopt;
    out.token = *t;
  } else {
    return std::nullopt;
  }
  if (!out.requiredScope || !rest.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> renderPlainIntrospection(const commands::Verification& v) {
  if (!v.active) return std::string(R"({"active":false})");
  if (!v.grant) return std::nullopt;
  const auto& g = *v.grant;
  const uint64_t iat = static_cast<uint64_t>(v.issuedAt / 1000);
  const uint64_t exp = v.expiresAt ? static_cast<uint64_t>(*v.expiresAt / 1000) : 0;
  if (v.issuedAt < 0 || (v.expiresAt && *v.expiresAt < 0) || iat >= kPlainNumberLimit ||
      exp >= kPlainNumberLimit || !isPlain(g.scopeText()) || !isPlain(g.accountId()) ||
      !isPlain(g.integrationId())) {
    return std::nullopt;
  }
  // Field order and names as api.capnp's Introspection gives them to the codec.
  std::string out;
  out.reserve(128 + g.scopeText().size() + g.accountId().size() + g.integrationId().size());
  out += R"({"active":true,"scope":")";
  out += g.scopeText();
  out += R"(","token_type":"pit","account_id":")";
  out += g.accountId();
  out += R"(","integration_id":")";
  out += g.integrationId();
  out += R"(","iat":)";
  out += std::to_string(iat);
  if (v.expiresAt) {
    out += R"(,"exp":)";
    out += std::to_string(exp);
  }
  if (v.allowed) out += *v.allowed ? R"(,"allowed":true)" : R"(,"allowed":false)";
  out += '}';
  return out;
}

}  // namespace pitlog::server::http
