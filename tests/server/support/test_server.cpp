#include "support/test_server.h"

#include "support/cluster_mode.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

namespace pitlog::testing {

TestServer::TestServer(std::vector<std::string> extraArgs) : args_(std::move(extraArgs)) {
  start();
}

void TestServer::start() {
  std::vector<std::string> args{"--data", data_.str(), "--http", "127.0.0.1:0", "--rpc", "off"};
  if (std::find(args_.begin(), args_.end(), "--rotation-window") == args_.end()) {
    args.insert(args.end(), {"--rotation-window", "2s"});
  }
  args.insert(args.end(), args_.begin(), args_.end());
  pitd_ = std::make_unique<PitdProcess>(logFile(), args);
  std::string keyFile = readFile(data_.sub("service.key"));
  key_ = keyFile.substr(0, keyFile.find('\n'));
}

int TestServer::stop() { return pitd_->stop(); }

void checkHealthyBody(const std::string& body) {
  if (!clusterModeUnderTest()) {
    CHECK(body == R"({"status":"ok"})");
    return;
  }
  INFO(body);
  const Json health = Json::parse(body);
  CHECK(health.keys() == std::vector<std::string>{"status", "cluster"});
  CHECK(health["status"].str() == "ok");
  CHECK(health["cluster"].keys() ==
        std::vector<std::string>{"node", "position", "lagMs", "connected"});
  CHECK(health["cluster"]["connected"].boolean());
}

Headers TestServer::headers(const std::optional<Actor>& actor, const Headers& extra) const {
  Headers h{{"Authorization", "Bearer " + key_}};
  if (actor) {
    h.emplace_back("X-Actor-User", actor->user);
    h.emplace_back("X-Actor-Role", actor->role);
  }
  h.insert(h.end(), extra.begin(), extra.end());
  return h;
}

HttpResponse TestServer::get(const std::string& target, const std::optional<Actor>& actor,
                             const Headers& extra) {
  return httpRequest(port(), "GET", target, headers(actor, extra));
}

HttpResponse TestServer::send(const std::string& method, const std::string& target,
                              const std::string& body, const std::optional<Actor>& actor,
                              const Headers& extra) {
  Headers h = headers(actor, extra);
  if (!body.empty()) h.emplace_back("Content-Type", "application/json");
  return httpRequest(port(), method, target, h, body);
}

Created TestServer::create(const std::string& account, const std::string& name,
                           const std::vector<std::string>& scopes, const Actor& actor,
                           const Headers& extra) {
  std::string list;
  for (const auto& s : scopes) list += (list.empty() ? "\"" : ",\"") + s + "\"";
  auto r = send("POST", integrationsPath(account),
                "{\"name\":\"" + name + "\",\"scopes\":[" + list + "]}", actor, extra);
  INFO(redacted(r.body));
  REQUIRE(r.status == 201);
  auto j = Json::parse(r.body);
  Created c;
  c.id = j["integration"]["id"].str();
  c.token = j["token"].str();
  c.response = std::move(r);
  return c;
}

Json TestServer::introspect(const std::string& token, const std::optional<std::string>& scope) {
  std::string body = "{\"token\":\"" + token + "\"";
  if (scope) body += ",\"requiredScope\":\"" + *scope + "\"";
  body += "}";
  auto r = send("POST", "/v1/introspect", body, std::nullopt);
  INFO(redacted(r.body));
  REQUIRE(r.status == 200);
  return Json::parse(r.body);
}

uint64_t TestServer::lastSeq() {
  auto r = httpRequest(port(), "GET", "/metrics");
  REQUIRE(r.status == 200);
  static const std::regex kLine("\npitlog_log_last_sequence ([0-9]+)");
  std::smatch m;
  REQUIRE(std::regex_search(r.body, m, kLine));
  return std::stoull(m[1]);
}

size_t TestServer::auditCount(const std::string& account) {
  size_t count = 0;
  std::string after = "0";
  for (;;) {
    auto r = get("/v1/accounts/" + account + "/audit?limit=1000&after=" + after);
    REQUIRE(r.status == 200);
    auto j = Json::parse(r.body);
    count += j["events"].size();
    if (j["next"].isNull()) return count;
    after = std::to_string(static_cast<uint64_t>(j["next"].num()));
  }
}

std::string TestServer::consoleCookie(const std::string& account, const Actor& actor) {
  HttpResponse link = send("POST", "/v1/accounts/" + account + "/console/links", "", actor);
  REQUIRE(link.status == 201);
  const std::string url = Json::parse(link.body)["url"].str();
  REQUIRE(url.rfind("/console/signin?code=", 0) == 0);
  HttpResponse signin = httpRequest(port(), "GET", url);
  REQUIRE(signin.status == 303);
  const std::string cookie = signin.header("set-cookie");
  return cookie.substr(0, cookie.find(';'));
}

std::string integrationsPath(const std::string& account, const std::string& id,
                             const std::string& suffix) {
  std::string p = "/v1/accounts/" + account + "/integrations";
  if (!id.empty()) p += "/" + id + suffix;
  return p;
}

}  // namespace pitlog::testing
