// pitd as a process: --help, bad options, service keys, the scope catalogue, log formats.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "support/test_server.h"

using namespace pitlog::testing;

TEST_CASE("pitd --help lists every option and exits 0 - bad options exit 2") {
  std::string out;
  CHECK(runPitd({"--help"}, &out) == 0);
  for (const char* option : {"--data", "--http", "--rpc", "--service-keys", "--scopes",
                             "--rotation-window", "--sync", "--log-level", "--log-format",
                             "--http-threads", "--max-connections", "--idle-timeout",
                             "--write-timeout", "SIGHUP", "--config"}) {
    INFO(option);
    CHECK(out.find(option) != std::string::npos);
  }
  CHECK(runPitd({}, &out) == 2);
  CHECK(out.find("--data") != std::string::npos);
  CHECK(runPitd({"--data", "/tmp/x", "--rotation-window", "soon"}, &out) == 2);
  CHECK(out.find("--rotation-window") != std::string::npos);
  CHECK(runPitd({"--data", "/tmp/x", "--http", "nowhere"}, &out) == 2);
  CHECK(runPitd({"--data", "/tmp/x"}, &out, {"PITLOG_SYNC=perhaps"}) == 2);
  CHECK(out.find("--sync") != std::string::npos);
}

TEST_CASE("the default service key: created at first start / 0600 / logged by path / reused") {
  TestServer s;
  struct stat st {};
  REQUIRE(::stat((s.dataDir() + "/service.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string key = s.key();
  CHECK(key.size() >= 32);
  CHECK(s.get("/v1/scopes", std::nullopt).status == 200);
  CHECK(s.log().find(s.dataDir() + "/service.key") != std::string::npos);
  s.restart();
  CHECK(s.key() == key);
  CHECK(s.get("/v1/scopes", std::nullopt).status == 200);
}

TEST_CASE("pitd --service-keys: every key in the file works / no default key is made") {
  TempDir dir("pitd-keys");
  const std::string keys = dir.sub("keys");
  std::ofstream(keys) << "# services\nsvc-gateway-0123456789abcdef\n\nsvc-billing-0123456789abcdef\n";
  TempDir data("pitd-data");
  TempDir logs("pitd-logs");
  PitdProcess pitd(logs.sub("pitd.log"), {"--data", data.str(), "--http", "127.0.0.1:0", "--rpc",
                                          "off", "--service-keys", keys});
  for (const char* key : {"svc-gateway-0123456789abcdef", "svc-billing-0123456789abcdef"}) {
    auto r = httpRequest(pitd.port(), "GET", "/v1/scopes",
                         {{"Authorization", std::string("Bearer ") + key}});
    CHECK(r.status == 200);
  }
  CHECK(httpRequest(pitd.port(), "GET", "/v1/scopes", {{"Authorization", "Bearer services"}})
            .status == 401);
  CHECK_FALSE(std::ifstream(data.sub("service.key")).good());
  CHECK(pitd.stop() == 0);
  const std::string log = readFile(logs.sub("pitd.log"));
  CHECK(log.find("svc-gateway") == std::string::npos);
}

TEST_CASE("pitd --scopes replaces the catalogue - a bad catalogue or keys file exits 2") {
  TempDir dir("pitd-scopes");
  std::ofstream(dir.sub("scopes.txt")) << "# ours\nwidgets.readonly\nwidgets.write\n";
  TempDir data("pitd-data");
  TempDir logs("pitd-logs");
  {
    PitdProcess pitd(logs.sub("pitd.log"), {"--data", data.str(), "--http", "127.0.0.1:0", "--rpc",
                                            "off", "--scopes", dir.sub("scopes.txt")});
    std::string key = readFile(data.sub("service.key"));
    key = key.substr(0, key.find('\n'));
    auto r = httpRequest(pitd.port(), "GET", "/v1/scopes", {{"Authorization", "Bearer " + key}});
    REQUIRE(r.status == 200);
    CHECK(Json::parse(r.body)["scopes"].strings() ==
          std::vector<std::string>{"widgets.readonly", "widgets.write"});
    CHECK(pitd.stop() == 0);
  }
  std::string out;
  CHECK(runPitd({"--data", data.str(), "--http", "127.0.0.1:0", "--rpc", "off", "--scopes",
                 dir.sub("missing.txt")},
                &out) == 2);
  CHECK(out.find("missing.txt") != std::string::npos);
  std::ofstream(dir.sub("empty-keys")) << "# none\n";
  CHECK(runPitd({"--data", data.str(), "--http", "127.0.0.1:0", "--rpc", "off", "--service-keys",
                 dir.sub("empty-keys")},
                &out) == 2);
}

TEST_CASE("a second pitd on the same data directory exits 1 - --log-format json") {
  TestServer s({"--log-format", "json"});
  std::string out;
  CHECK(runPitd({"--data", s.dataDir(), "--http", "127.0.0.1:0", "--rpc", "off"}, &out) == 1);
  CHECK(out.find("database") != std::string::npos);
  s.create("acme");
  CHECK(s.stop() == 0);
  // Every line is one JSON object with time, level and msg.
  std::istringstream lines(s.log());
  std::string line;
  size_t count = 0;
  while (std::getline(lines, line)) {
    INFO(redacted(line));
    auto j = Json::parse(line);
    CHECK(j["time"].isString());
    CHECK(j["level"].isString());
    CHECK(j["msg"].isString());
    ++count;
  }
  CHECK(count >= 4);
}

TEST_CASE("pitd --rpc with port 0 listens on a free port and logs it") {
  TempDir data("pitd-data");
  TempDir logs("pitd-logs");
  PitdProcess pitd(logs.sub("pitd.log"),
                   {"--data", data.str(), "--http", "127.0.0.1:0", "--rpc", "127.0.0.1:0"});
  CHECK(pitd.stop() == 0);
  const std::string log = readFile(logs.sub("pitd.log"));
  INFO(log);
  // Built with the RPC front-end it listens; built without, it says so.
  const bool listened = std::regex_search(log, std::regex("listening rpc 127\\.0\\.0\\.1:[1-9][0-9]*"));
  const bool without = log.find("built without Cap'n Proto RPC") != std::string::npos;
  CHECK(listened != without);
}
