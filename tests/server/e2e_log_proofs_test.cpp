// The log proof routes against the real pitd (API.md "Log proofs"): a checkpoint kept early and
// one fetched later, an inclusion proof of an event and a consistency proof between the two are
// verified by the independent Python verifier (tests/proofs/verify_proofs.py, which shares no code
// with pitd) and by the C++ verifiers; a tampered answer fails both. Out-of-range values are 400s
// naming the field; the routes need the service key; the key file is created 0600.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "events/checkpoint.h"
#include "events/digest.h"
#include "events/merkle.h"
#include "events/signed_note.h"
#include "support/test_server.h"

using namespace pitlog::testing;
namespace ev = pitlog::events;
namespace merkle = pitlog::events::merkle;

namespace {

std::vector<merkle::Hash> hashesOf(const Json& list) {
  std::vector<merkle::Hash> out;
  for (const auto& h : list.strings()) out.push_back(ev::digestFromHex(h).value());
  return out;
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += std::string("\\") + c;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Runs the independent verifier on one bundle; its first line of output.
std::pair<int, std::string> independentVerdict(const std::string& bundle) {
  TempDir dir("pitd-proofs");
  std::ofstream(dir.sub("bundle.json")) << bundle;
  const std::string command = "python3 " PITLOG_PROOF_VERIFIER " " + dir.sub("bundle.json") +
                              " > " + dir.sub("out.txt") + " 2>&1";
  const int status = std::system(command.c_str());
  return {status, readFile(dir.sub("out.txt"))};
}

}  // namespace

TEST_CASE("log proofs from pitd verify independently, and a tampered one does not",
          "[log-proofs]") {
  TestServer s;
  auto a = s.create("acme", "First");
  s.create("acme", "Second");
  auto oldCheckpoint = s.get("/v1/log/checkpoint", std::nullopt);
  REQUIRE(oldCheckpoint.status == 200);
  // Past 32 events: the proofs join nodes computed from the events (levels 0-3) with stored ones.
  for (int i = 0; i < 40; ++i) s.create("globex", "App " + std::to_string(i));
  const uint64_t last = s.lastSeq();

  auto key = s.get("/v1/log/public-key", std::nullopt);
  REQUIRE(key.status == 200);
  CHECK(key.header("content-type").rfind("text/plain", 0) == 0);
  const std::string vkey = key.body.substr(0, key.body.find('\n'));
  CHECK(vkey.rfind("pitlog/", 0) == 0);
  auto checkpoint = s.get("/v1/log/checkpoint", std::nullopt);
  REQUIRE(checkpoint.status == 200);

  // The event of seq 1 is the first create's; its hash from the API.
  auto events = Json::parse(s.get(integrationsPath("acme", a.id, "/events")).body)["events"];
  REQUIRE(events[0]["seq"].num() == 1);
  const std::string eventHash = events[0]["hash"].str();

  auto inclusion = s.get("/v1/log/proof/inclusion?seq=1&treeSize=" + std::to_string(last),
                         std::nullopt);
  REQUIRE(inclusion.status == 200);
  auto inc = Json::parse(inclusion.body);
  CHECK(inc.keys() == std::vector<std::string>{"leafIndex", "treeSize", "hashes"});
  CHECK(inc["leafIndex"].num() == 0);

  // The C++ verifiers: signature, checkpoint, inclusion, consistency.
  auto verifier = ev::NoteVerifier::parse(vkey);
  REQUIRE(verifier.verifier);
  auto opened = ev::openCheckpoint(*verifier.verifier, checkpoint.body);
  INFO(opened.error);
  REQUIRE(opened.checkpoint);
  CHECK(opened.checkpoint->treeSize == last);
  auto openedOld = ev::openCheckpoint(*verifier.verifier, oldCheckpoint.body);
  REQUIRE(openedOld.checkpoint);
  const uint64_t from = openedOld.checkpoint->treeSize;
  REQUIRE(from > 0);
  REQUIRE(from < last);
  auto consistency = s.get("/v1/log/proof/consistency?from=" + std::to_string(from) +
                               "&to=" + std::to_string(last), std::nullopt);
  REQUIRE(consistency.status == 200);
  auto con = Json::parse(consistency.body);
  CHECK(con.keys() == std::vector<std::string>{"from", "to", "hashes"});
  const auto leaf = merkle::eventLeafHash(ev::digestFromHex(eventHash).value());
  CHECK(merkle::verifyInclusion(0, last, leaf, hashesOf(inc["hashes"]), opened.checkpoint->root));
  CHECK(merkle::verifyConsistency(from, last, openedOld.checkpoint->root, opened.checkpoint->root,
                                  hashesOf(con["hashes"])));

  // The independent verifier, on the answers as pitd gave them and on a tampered one.
  auto bundle = [&](const std::string& incBody, const std::string& checkpointText) {
    auto i = Json::parse(incBody);
    std::string hashes;
    for (const auto& h : i["hashes"].strings()) hashes += (hashes.empty() ? "" : ",") + jsonString(h);
    return "{\"verifierKey\":" + jsonString(vkey) + ",\"oldCheckpoint\":" + jsonString(oldCheckpoint.body) +
           ",\"checkpoint\":" + jsonString(checkpointText) + ",\"inclusion\":{\"eventHash\":" +
           jsonString(eventHash) + ",\"leafIndex\":0,\"treeSize\":" + std::to_string(last) +
           ",\"hashes\":[" + hashes + "]},\"consistency\":" + consistency.body + "}";
  };
  auto good = independentVerdict(bundle(inclusion.body, checkpoint.body));
  INFO(good.second);
  CHECK(good.first == 0);
  CHECK(good.second == "ok\n");

  std::string tampered = inclusion.body;
  const size_t at = tampered.find("\"hashes\":[\"") + 11;
  tampered[at] = tampered[at] == '0' ? '1' : '0';
  auto bad = independentVerdict(bundle(tampered, checkpoint.body));
  INFO(bad.second);
  CHECK(bad.first != 0);
  CHECK(bad.second.rfind("FAIL:", 0) == 0);
  CHECK_FALSE(merkle::verifyInclusion(0, last, leaf, hashesOf(Json::parse(tampered)["hashes"]),
                                      opened.checkpoint->root));

  std::string forged = checkpoint.body;
  forged[forged.find('\n') + 1] = '9';  // the tree size line: the signature no longer holds
  CHECK_FALSE(ev::openCheckpoint(*verifier.verifier, forged).checkpoint);
  CHECK(independentVerdict(bundle(inclusion.body, forged)).first != 0);
}

TEST_CASE("log proof routes answer out-of-range values 400 naming the field", "[log-proofs]") {
  TestServer s;
  s.create("acme", "One");
  s.create("acme", "Two");
  const uint64_t last = s.lastSeq();
  REQUIRE(last >= 2);
  auto field = [&](const std::string& target) {
    auto r = s.get(target, std::nullopt);
    INFO(target << " -> " << r.status << " " << r.body);
    CHECK(r.status == 400);
    return Json::parse(r.body)["error"]["field"].str();
  };
  const std::string beyond = std::to_string(last + 1);
  CHECK(field("/v1/log/proof/inclusion?seq=" + beyond) == "seq");
  CHECK(field("/v1/log/proof/inclusion?seq=0") == "seq");
  CHECK(field("/v1/log/proof/inclusion?treeSize=1") == "seq");
  CHECK(field("/v1/log/proof/inclusion?seq=1&treeSize=" + beyond) == "treeSize");
  CHECK(field("/v1/log/proof/inclusion?seq=" + std::to_string(last) + "&treeSize=1") == "treeSize");
  CHECK(field("/v1/log/proof/consistency?from=2&to=1") == "from");
  CHECK(field("/v1/log/proof/consistency?from=1&to=" + beyond) == "to");
  CHECK(field("/v1/log/proof/consistency?to=1") == "from");
}

TEST_CASE("log proof routes need the service key - the signing key file is the owner's alone",
          "[log-proofs]") {
  TestServer s;
  for (const char* path : {"/v1/log/public-key", "/v1/log/checkpoint",
                           "/v1/log/proof/inclusion?seq=1", "/v1/log/proof/consistency?from=0"}) {
    auto r = httpRequest(s.port(), "GET", path);
    INFO(path);
    CHECK(r.status == 401);
  }
  struct stat st {};
  REQUIRE(::stat((s.dataDir() + "/log-signing.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_THAT(s.log(), Catch::Contains("log-signing.key") && !Catch::Contains("PRIVATE KEY"));
}
