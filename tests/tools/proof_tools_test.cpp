// pit-replay's proof commands, in-process: `checkpoint --sign/--verify` and `verify-proof` over a
// database written by the real engine, with every input altered by one bit failing with the
// message that names it. The tree they are checked against is rebuilt here from the events.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "events/checkpoint.h"
#include "events/log.h"
#include "events/merkle.h"
#include "events/proof_json.h"
#include "events/signed_note_signer.h"
#include "pit_replay.h"
#include "tool_fixture.h"

namespace pitlog::tools::testing {
namespace {

namespace merkle = events::merkle;

merkle::MemoryTree treeFromEvents(const std::string& dir) {
  events::Store::Options o;
  o.path = dir;
  o.mode = events::Store::Mode::readOnly;
  auto store = events::Store::open(o);
  merkle::MemoryTree tree;
  events::forEachEvent(*store, 1, 0, [&](uint64_t, std::string_view bytes) {
    std::string error;
    auto event = events::DecodedEvent::decode(bytes, &error);
    REQUIRE(event);
    tree.append(merkle::eventLeafHash(event->hash()));
    return true;
  });
  return tree;
}

// A data dir with the known history, an Ed25519 key file and its verifier key file.
struct Fixture {
  HistoryDb db;
  std::string keyFile = db.temp().sub("log-signing.key");
  std::string pubFile = db.temp().sub("log.pub");
  std::unique_ptr<events::NoteSigner> signer;
  Fixture() {
    signer = events::NoteSigner::loadOrCreate(keyFile, events::logOrigin(events::kLogId), nullptr);
    std::ofstream(pubFile) << signer->verifier().encoded() << '\n';
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::string path = db.temp().sub(name);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    return path;
  }
  std::string sign() {
    auto run = replay({"--data", db.dir(), "checkpoint", "--sign", keyFile});
    INFO(run.err);
    REQUIRE(run.code == kExitOk);
    return run.out;
  }
};

std::string flipBit(std::string s, size_t bit) {
  s[bit / 8] = static_cast<char>(s[bit / 8] ^ (1 << (bit % 8)));
  return s;
}

merkle::Hash flipHashBit(merkle::Hash h, size_t bit) {
  h[bit / 8] ^= uint8_t(1u << (bit % 8));
  return h;
}

std::string eventJson(const std::string& dir, uint64_t seq) {
  auto run = dump({"--data", dir, "--format", "json", "--from", std::to_string(seq), "--to",
                   std::to_string(seq)});
  REQUIRE(run.code == kExitOk);
  REQUIRE(run.lines().size() == 1);
  return run.out;
}

// The event JSON with its hash replaced.
std::string withHash(const std::string& json, const events::Digest& from, const events::Digest& to) {
  return replaceOnce(json, "\"hash\":\"" + events::toHex(from) + "\"",
                     "\"hash\":\"" + events::toHex(to) + "\"");
}

ToolRun replayWithStdin(Argv args, const std::string& input) {
  std::ostringstream out, err;
  std::istringstream in(input);
  ToolContext ctx{.out = out, .err = err, .in = &in};
  args.insert(args.begin(), "pit-replay");
  ToolRun run;
  run.code = runPitReplay(args, ctx);
  run.out = out.str();
  run.err = err.str();
  return run;
}

}  // namespace

TEST_CASE("checkpoint --sign prints the log's tree head as pitd's signed checkpoint",
          "[pit-replay][checkpoint][proofs]") {
  Fixture f;
  const auto tree = treeFromEvents(f.db.dir());
  REQUIRE(tree.size() == 9);
  const std::string note = f.sign();
  // Ed25519 is deterministic: the same bytes GET /v1/log/checkpoint answers for this tree.
  CHECK(note == events::signCheckpoint(
                    *f.signer, {events::logOrigin(events::kLogId), 9, tree.root(), {}}));
  CHECK(note.rfind("pitlog/pitd\n9\n", 0) == 0);

  SECTION("a key file that is missing or not a key is bad usage, and prints nothing") {
    for (const std::string& key : {f.db.temp().sub("none.key"), f.pubFile}) {
      auto run = replay({"--data", f.db.dir(), "checkpoint", "--sign", key});
      CHECK(run.code == kExitUsage);
      CHECK(run.out.empty());
      CHECK_THAT(run.err, Catch::Contains("--sign: log signing key file '" + key + "'"));
    }
  }
  SECTION("a broken chain is not signed") {
    putEvent(f.db.dir(), 4, replaceOnce(getEvent(f.db.dir(), 4), "Billing", "Billinh"));
    auto run = replay({"--data", f.db.dir(), "checkpoint", "--sign", f.keyFile});
    CHECK(run.code == kExitFinding);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains("no checkpoint: the chain fails at event 4"));
  }
  SECTION("a stored tree that is not the tree of the events is not signed") {
    {  // 18 events: the first 16 complete the first stored node, (level 4, index 0)
      auto engine = f.db.openEngine(kT0 + 20 * kDay);
      for (int i = 0; i < 9; ++i) HistoryDb::editA(*engine, f.db.a, "edit " + std::to_string(i));
    }
    const auto grown = treeFromEvents(f.db.dir());
    REQUIRE(grown.size() == 18);
    putView(f.db.dir(), events::keys::Family::merkle, events::keys::merkleNodeKey(4, 0),
            std::string(32, 'x'));
    auto run = replay({"--data", f.db.dir(), "checkpoint", "--sign", f.keyFile});
    CHECK(run.code == kExitFinding);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains("is not the head of the log's events " +
                                        events::toHex(grown.root())));
  }
  SECTION("--sign and --verify together, or --checkpoint alone, are bad usage") {
    CHECK(replay({"--data", f.db.dir(), "checkpoint", "--sign", f.keyFile, "--verify", f.pubFile})
              .code == kExitUsage);
    CHECK(replay({"--data", f.db.dir(), "checkpoint", "--checkpoint", "x"}).code == kExitUsage);
  }
}

TEST_CASE("checkpoint --verify checks a saved checkpoint's signature, and the data dir's tree",
          "[pit-replay][checkpoint][proofs]") {
  Fixture f;
  const std::string note = f.sign();
  const std::string file = f.write("cp.txt", note);
  const std::string root = events::toHex(treeFromEvents(f.db.dir()).root());
  const std::string name = f.signer->verifier().encoded().substr(0, 20);  // "pitlog/pitd+<8 hex>"

  auto ok = replay({"checkpoint", "--verify", f.pubFile, "--checkpoint", file});
  INFO(ok.err);
  CHECK(ok.code == kExitOk);
  CHECK(ok.out == "checkpoint: ok: pitlog/pitd, tree size 9, root " + root + ", signed by " +
                      name + "\n");
  auto fromStdin = replayWithStdin({"checkpoint", "--verify", f.pubFile}, note);
  CHECK(fromStdin.out == ok.out);

  auto withLog = replay({"--data", f.db.dir(), "checkpoint", "--verify", f.pubFile,
                         "--checkpoint", file});
  CHECK(withLog.code == kExitOk);
  CHECK_THAT(withLog.out, Catch::EndsWith(
      "log: ok: the data dir's tree of size 9 has the checkpoint's root (the log holds 9 events)\n"));

  SECTION("every one-bit change of the checkpoint fails") {
    const std::string sigFailed = "checkpoint: FAILED: the signature by " + name +
                                  " does not verify: the note was altered or signed by another key\n";
    // The tree size (line 2) and a bit of the root's base64 (line 3): the signature fails.
    CHECK(replay({"checkpoint", "--verify", f.pubFile, "--checkpoint",
                  f.write("size.txt", flipBit(note, 12 * 8))}).out == sigFailed);
    CHECK(replay({"checkpoint", "--verify", f.pubFile, "--checkpoint",
                  f.write("root.txt", flipBit(note, 16 * 8 + 1))}).out == sigFailed);
    for (size_t bit = 0; bit < note.size() * 8; ++bit) {
      auto run = replay({"checkpoint", "--verify", f.pubFile, "--checkpoint",
                         f.write("bit.txt", flipBit(note, bit))});
      INFO("bit " << bit << ": " << run.out);
      REQUIRE(run.code == kExitFinding);
      REQUIRE_THAT(run.out, Catch::StartsWith("checkpoint: FAILED: "));
    }
  }
  SECTION("another key's checkpoint, or a bad key file, fails with the reason") {
    auto other = events::NoteSigner::loadOrCreate(f.db.temp().sub("other.key"),
                                                  events::logOrigin(events::kLogId), nullptr);
    const std::string otherPub = f.write("other.pub", other->verifier().encoded() + "\n");
    auto run = replay({"checkpoint", "--verify", otherPub, "--checkpoint", file});
    CHECK(run.code == kExitFinding);
    CHECK(run.out == "checkpoint: FAILED: the note carries no signature by " +
                         other->verifier().encoded().substr(0, 20) + "\n");
    // One bit of the key file's key hash or key: the key file is refused (bad usage).
    const std::string pub = f.signer->verifier().encoded();
    for (size_t bit : {size_t(12 * 8), size_t(30 * 8 + 2)}) {
      auto bad = replay({"checkpoint", "--verify", f.write("bad.pub", flipBit(pub, bit)),
                         "--checkpoint", file});
      CHECK(bad.code == kExitUsage);
      CHECK_THAT(bad.err, Catch::Contains("--verify: the verifier key"));
    }
  }
  SECTION("a data dir whose log does not extend the checkpoint fails") {
    HistoryDb other;  // the same history with other event ids: another tree
    auto run = replay({"--data", other.dir(), "checkpoint", "--verify", f.pubFile,
                       "--checkpoint", file});
    CHECK(run.code == kExitFinding);
    CHECK_THAT(run.out, Catch::Contains("log: FAILED: the data dir's tree of size 9 has root "));
    auto longer = events::signCheckpoint(
        *f.signer, {events::logOrigin(events::kLogId), 10, treeFromEvents(f.db.dir()).root(), {}});
    auto shorter = replay({"--data", f.db.dir(), "checkpoint", "--verify", f.pubFile,
                           "--checkpoint", f.write("long.txt", longer)});
    CHECK(shorter.code == kExitFinding);
    CHECK_THAT(shorter.out, Catch::Contains(
        "log: FAILED: the checkpoint's tree size 10 is larger than the log (9 events)"));
  }
}

TEST_CASE("verify-proof checks an inclusion proof against a signed checkpoint, offline",
          "[pit-replay][verify-proof][proofs]") {
  Fixture f;
  const auto tree = treeFromEvents(f.db.dir());
  const std::string checkpoint = f.write("cp.txt", f.sign());
  auto prove = replay({"--data", f.db.dir(), "prove", "--seq", "3"});
  REQUIRE(prove.code == kExitOk);
  const std::string proofText = prove.out;
  const std::string event = eventJson(f.db.dir(), 3);
  auto run = [&](const std::string& cp, const std::string& proof, const std::string& ev) {
    return replay({"verify-proof", "--key", f.pubFile, "--checkpoint", cp, "--proof",
                   f.write("proof.json", proof), "--event", f.write("event.json", ev)});
  };
  const merkle::Hash eventHash = *events::digestFromHex(
      event.substr(event.find("\"hash\":\"") + 8, 64));

  auto ok = run(checkpoint, proofText, event);
  INFO(ok.err);
  CHECK(ok.code == kExitOk);
  CHECK(ok.out == "ok: event 3 (hash " + events::toHex(eventHash) +
                      ") is in the log of 9 events that pitlog/pitd's checkpoint signs (root " +
                      events::toHex(tree.root()) + ")\n");
  // Standard input for one of them.
  auto piped = replayWithStdin({"verify-proof", "--key", f.pubFile, "--checkpoint", checkpoint,
                                "--proof", "-", "--event", f.write("event.json", event)},
                               proofText);
  CHECK(piped.out == ok.out);

  const auto proof = merkle::inclusionProof(tree, 2, 9);
  REQUIRE(proof.size() == 4);
  const std::string rootFailure = "the proof leads to root ";

  SECTION("every one-bit change of a proof hash fails: the proof leads to another root") {
    for (size_t i = 0; i < proof.size(); ++i) {
      for (size_t bit = 0; bit < 256; ++bit) {
        auto bad = proof;
        bad[i] = flipHashBit(bad[i], bit);
        auto r = run(checkpoint, events::inclusionProofJson(2, 9, bad), event);
        INFO("hash " << i << " bit " << bit);
        REQUIRE(r.code == kExitFinding);
        REQUIRE_THAT(r.out, Catch::StartsWith("FAILED: inclusion of event 3 (leaf hash " +
                                              events::toHex(merkle::eventLeafHash(eventHash)) +
                                              "): " + rootFailure) &&
                                Catch::EndsWith(", not to the tree head " +
                                                events::toHex(tree.root()) + "\n"));
      }
    }
  }
  SECTION("every one-bit change of the event's hash fails, naming its leaf hash") {
    for (size_t bit = 0; bit < 256; ++bit) {
      const merkle::Hash altered = flipHashBit(eventHash, bit);
      auto r = run(checkpoint, proofText, withHash(event, eventHash, altered));
      INFO("bit " << bit);
      REQUIRE(r.code == kExitFinding);
      REQUIRE_THAT(r.out, Catch::StartsWith("FAILED: inclusion of event 3 (leaf hash " +
                                            events::toHex(merkle::eventLeafHash(altered)) + "): " +
                                            rootFailure));
    }
  }
  SECTION("another event, seq, tree size or proof length fails with what is wrong") {
    auto r = run(checkpoint, proofText, replaceOnce(event, "\"seq\":3,", "\"seq\":2,"));
    CHECK(r.out == "FAILED: event: its seq is 2; the proof is for leaf 2, the event of seq 3\n");
    // The event of seq 4, with a proof for leaf 3 changed to claim leaf 4.
    r = run(checkpoint, replaceOnce(proofText, "\"leafIndex\":2", "\"leafIndex\":3"),
            eventJson(f.db.dir(), 4));
    CHECK_THAT(r.out, Catch::StartsWith("FAILED: inclusion of event 4 (leaf hash "));
    r = run(checkpoint, replaceOnce(proofText, "\"treeSize\":9", "\"treeSize\":8"), event);
    CHECK(r.out == "FAILED: proof: it is for a tree of size 8; the checkpoint's tree has size 9\n");
    auto shortProof = proof;
    shortProof.pop_back();
    r = run(checkpoint, events::inclusionProofJson(2, 9, shortProof), event);
    CHECK(r.out == "FAILED: inclusion of event 3 (leaf hash " +
                       events::toHex(merkle::eventLeafHash(eventHash)) +
                       "): the proof has 3 hashes; leaf 2 of a tree of size 9 needs 4 hashes\n");
  }
  SECTION("a malformed proof or event fails naming the input") {
    const std::vector<std::pair<std::string, std::string>> proofs = {
        {"not json", "FAILED: proof: the proof is not JSON\n"},
        {"[]", "FAILED: proof: the proof is not a JSON object\n"},
        {R"({"leafIndex":2,"treeSize":9,"hashes":[],"extra":1})",
         "FAILED: proof: the proof has an unknown field \"extra\"\n"},
        {R"({"leafIndex":2,"treeSize":9})",
         "FAILED: proof: the proof is neither {\"leafIndex\",\"treeSize\",\"hashes\"} nor "
         "{\"from\",\"to\",\"hashes\"}\n"},
        {R"({"leafIndex":2.5,"treeSize":9,"hashes":[]})",
         "FAILED: proof: the proof's \"leafIndex\" is not a whole number below 2^53\n"},
        {R"({"leafIndex":-1,"treeSize":9,"hashes":[]})",
         "FAILED: proof: the proof's \"leafIndex\" is not a whole number below 2^53\n"},
        {R"({"leafIndex":2,"treeSize":9,"hashes":["AB"]})",
         "FAILED: proof: the proof's hash 1 is not 64 lower-case hex digits\n"},
    };
    for (const auto& [text, message] : proofs) {
      INFO(text);
      auto r = run(checkpoint, text, event);
      CHECK(r.code == kExitFinding);
      CHECK(r.out == message);
    }
    auto r = run(checkpoint, proofText, R"({"seq":3})");
    CHECK(r.out == "FAILED: event: the event has no \"hash\"\n");
    r = run(checkpoint, proofText,
            replaceOnce(event, "\"hash\":\"" + events::toHex(eventHash).substr(0, 2), "\"hash\":\"ZZ"));
    CHECK(r.out == "FAILED: event: the event's \"hash\" is not 64 lower-case hex digits\n");
  }
  SECTION("a checkpoint that does not verify fails before the proof is looked at") {
    std::string note = f.sign();
    auto r = run(f.write("bad.txt", flipBit(note, 12 * 8)), proofText, event);
    CHECK(r.code == kExitFinding);
    CHECK_THAT(r.out, Catch::StartsWith("FAILED: checkpoint: the signature by pitlog/pitd+") &&
                          Catch::EndsWith(" does not verify: the note was altered or signed by "
                                          "another key\n"));
  }
  SECTION("usage: required inputs, the companion input each proof needs, one stdin") {
    auto usage = [&](Argv extra) {
      Argv args{"verify-proof"};
      args.insert(args.end(), extra.begin(), extra.end());
      auto r = replay(args);
      CHECK(r.code == kExitUsage);
      CHECK(r.out.empty());
      return r.err;
    };
    const std::string proofFile = f.write("p.json", proofText);
    CHECK_THAT(usage({"--checkpoint", checkpoint, "--proof", proofFile}),
               Catch::Contains("--key is required"));
    CHECK_THAT(usage({"--key", f.pubFile, "--checkpoint", checkpoint, "--proof", proofFile}),
               Catch::Contains("an inclusion proof needs --event FILE"));
    CHECK_THAT(usage({"--key", f.pubFile, "--checkpoint", checkpoint, "--proof", proofFile,
                      "--event", f.write("e.json", event), "--old-checkpoint", checkpoint}),
               Catch::Contains("--old-checkpoint and --old-key go with a consistency proof"));
    CHECK_THAT(usage({"--key", f.pubFile, "--checkpoint", "-", "--proof", "-", "--event",
                      f.write("e.json", event)}),
               Catch::Contains("--checkpoint -: no standard input"));
    CHECK_THAT(usage({"--key", f.db.temp().sub("none.pub"), "--checkpoint", checkpoint,
                      "--proof", proofFile, "--event", f.write("e.json", event)}),
               Catch::Contains("--key '" + f.db.temp().sub("none.pub") + "': cannot be read"));
    auto twice = replayWithStdin({"verify-proof", "--key", f.pubFile, "--checkpoint", "-",
                                  "--proof", "-", "--event", f.write("e.json", event)},
                                 "x");
    CHECK(twice.code == kExitUsage);
    CHECK_THAT(twice.err, Catch::Contains("standard input is read once"));
  }
}

TEST_CASE("verify-proof checks that a later checkpoint's log extends an older one, offline",
          "[pit-replay][verify-proof][proofs]") {
  Fixture f;
  const std::string old = f.write("old.txt", f.sign());
  {
    auto engine = f.db.openEngine(kT0 + 20 * kDay);
    HistoryDb::editA(*engine, f.db.a, "later");
    HistoryDb::editA(*engine, f.db.a, "later still");
  }
  const auto tree = treeFromEvents(f.db.dir());
  REQUIRE(tree.size() == 11);
  const std::string now = f.write("now.txt", f.sign());
  auto prove = replay({"--data", f.db.dir(), "prove", "--from", "9"});
  REQUIRE(prove.code == kExitOk);
  auto run = [&](const std::string& proof, const std::string& oldFile) {
    return replay({"verify-proof", "--key", f.pubFile, "--checkpoint", now, "--proof",
                   f.write("proof.json", proof), "--old-checkpoint", oldFile});
  };
  auto ok = run(prove.out, old);
  INFO(ok.err);
  CHECK(ok.code == kExitOk);
  CHECK(ok.out == "ok: the log of 11 events (root " + events::toHex(tree.root()) +
                      ") extends the checkpoint of 9 events (root " +
                      events::toHex(merkle::treeHead(tree, 9)) + ")\n");

  const auto proof = merkle::consistencyProof(tree, 9, 11);
  REQUIRE(proof.size() == 4);
  SECTION("every one-bit change of a proof hash fails, naming the old or the new root") {
    std::set<std::string> oldOrNew;
    for (size_t i = 0; i < proof.size(); ++i) {
      for (size_t bit = 0; bit < 256; ++bit) {
        auto bad = proof;
        bad[i] = flipHashBit(bad[i], bit);
        auto r = run(events::consistencyProofJson(9, 11, bad), old);
        INFO("hash " << i << " bit " << bit);
        REQUIRE(r.code == kExitFinding);
        // Which root it leads astray (old or new) depends on the hash's place in the proof.
        auto verdict = merkle::verifyConsistency(9, 11, merkle::treeHead(tree, 9), tree.root(), bad);
        REQUIRE_FALSE(verdict);
        REQUIRE(r.out == "FAILED: consistency: " + verdict.failure + "\n");
        oldOrNew.insert(verdict.failure.substr(0, 27));
      }
    }
    // Both checks are reached: "the proof leads to old root" and "... new root".
    CHECK(oldOrNew == std::set<std::string>{"the proof leads to new root",
                                            "the proof leads to old root"});
  }
  SECTION("an older checkpoint of another log, or of other sizes, fails with what is wrong") {
    HistoryDb other;
    auto otherCp = replay({"--data", other.dir(), "checkpoint", "--sign", f.keyFile});
    REQUIRE(otherCp.code == kExitOk);
    auto r = run(prove.out, f.write("other.txt", otherCp.out));
    CHECK_THAT(r.out, Catch::StartsWith("FAILED: consistency: the proof leads to old root "));
    r = run(replaceOnce(prove.out, "\"from\":9", "\"from\":8"), old);
    CHECK(r.out == "FAILED: proof: it is from size 8 to 11; the checkpoints have sizes 9 and 11\n");
    r = run(prove.out, f.write("bad-old.txt", flipBit(f.sign(), 0)));
    CHECK_THAT(r.out, Catch::StartsWith("FAILED: old checkpoint: "));
    auto rewound = replay({"verify-proof", "--key", f.pubFile, "--checkpoint", old, "--proof",
                           f.write("proof.json", prove.out), "--old-checkpoint", now});
    CHECK(rewound.out == "FAILED: proof: it is from size 9 to 11; the checkpoints have sizes 11 and 9\n");
  }
  SECTION("an older checkpoint signed by another node's key verifies with --old-key") {
    const std::string otherKey = f.db.temp().sub("node-b.key");
    auto nodeB = events::NoteSigner::loadOrCreate(otherKey, events::logOrigin(events::kLogId), nullptr);
    const std::string oldByB = f.write("old-b.txt", events::signCheckpoint(
        *nodeB, {events::logOrigin(events::kLogId), 9, merkle::treeHead(tree, 9), {}}));
    auto withoutKey = run(prove.out, oldByB);
    CHECK_THAT(withoutKey.out, Catch::StartsWith("FAILED: old checkpoint: the note carries no signature by "));
    auto r = replay({"verify-proof", "--key", f.pubFile, "--checkpoint", now, "--proof",
                     f.write("proof.json", prove.out), "--old-checkpoint", oldByB, "--old-key",
                     f.write("b.pub", nodeB->verifier().encoded())});
    CHECK(r.code == kExitOk);
  }
}

}  // namespace pitlog::tools::testing
