#include "campaign_api.h"

#include <openssl/sha.h>

#include <cstdio>
#include <stdexcept>

#include "support/pitd_process.h"

namespace pitlog::campaigns {

std::string readServiceKey(const std::string& dataDir) {
  std::string text = testing::readFile(dataDir + "/service.key");
  std::string key = text.substr(0, text.find('\n'));
  if (key.empty()) throw std::runtime_error("no service key in " + dataDir);
  return key;
}

Headers requestHeaders(const std::string& serviceKey, const std::optional<Actor>& actor,
                       const std::string& requestId, bool hasBody, const Headers& extra) {
  Headers h{{"Authorization", "Bearer " + serviceKey}};
  if (actor) {
    h.emplace_back("X-Actor-User", actor->user);
    h.emplace_back("X-Actor-Role", actor->role);
  }
  if (!requestId.empty()) h.emplace_back("X-Request-Id", requestId);
  if (hasBody) h.emplace_back("Content-Type", "application/json");
  h.insert(h.end(), extra.begin(), extra.end());
  return h;
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string jsonStrings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + jsonString(items[i]);
  return out + "]";
}

std::string introspectBody(const std::string& token) {
  return "{\"token\":" + jsonString(token) + "}";
}

std::string compareIntrospection(const std::string& body, const ExpectedIntrospection& expected) {
  if (!expected.active) {
    // API.md: an unknown, expired or deleted token answers exactly {"active": false}.
    auto j = Json::parse(body);
    if (j.size() != 1 || !j["active"].isBool() || j["active"].boolean()) {
      return "expected exactly {\"active\":false}, got " + testing::redacted(body);
    }
    return "";
  }
  auto j = Json::parse(body);
  if (!j["active"].isBool() || !j["active"].boolean()) return "expected active, got inactive";
  std::string scope;
  for (const auto& s : expected.scopes) scope += (scope.empty() ? "" : " ") + s;
  std::string diff;
  if (!j["scope"].isString() || j["scope"].str() != scope) {
    diff += " scope: expected '" + scope + "'";
  }
  if (!j["account_id"].isString() || j["account_id"].str() != expected.accountId) {
    diff += " account_id: expected " + expected.accountId;
  }
  if (!j["integration_id"].isString() || j["integration_id"].str() != expected.integrationId) {
    diff += " integration_id: expected " + expected.integrationId;
  }
  if (!j["token_type"].isString() || j["token_type"].str() != "pit") diff += " token_type";
  if (diff.empty()) return "";
  return "active answer differs:" + diff + "; got " + testing::redacted(body);
}

std::string tokenIdOf(const std::string& token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace pitlog::campaigns
