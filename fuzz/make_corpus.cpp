// Writes seed corpora for the fuzz targets from a real lifecycle run through the Engine, so the
// fuzzers start from valid events, views, tokens and times instead of from nothing; fuzz_http's
// seeds are requests for every route (fuzz/http_seeds.cpp), fuzz_config's are config files.
//   make_corpus OUT_DIR
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "commands/engine.h"
#include "hostile_call.h"
#include "http_seeds.h"
#include "proof_inputs_seed.h"

using namespace pitlog;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& dir, const std::string& name, std::string_view bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const fs::path out = argv[1];
  const fs::path db = out / "seed-db";
  fs::remove_all(db);
  int64_t now = 1'800'000'000'000;
  commands::EngineOptions o;
  o.dataDir = db.string();
  o.sync = false;
  o.clock = [&] { return now; };
  o.rotationWindowMs = 1000;
  {
    auto engine = commands::Engine::open(o);
    commands::Command c;
    c.accountId = "acme";
    c.actor = {"acme", "alice", events::Role::admin};
    c.requestId = "req-1";
    auto run = [&](commands::Action a) {
      c.action = std::move(a);
      return engine->execute(c);
    };
    auto created = run(commands::CreateIntegration{"Zapier", "sync", {"contacts.readonly"}});
    const std::string id = created.integration->id;
    run(commands::EditIntegration{id, std::string("Zapier 2"), std::nullopt,
                                  std::vector<std::string>{"contacts.write"}});
    run(commands::RotateToken{id, commands::ExpireMode::later});
    run(commands::CancelRotation{id});
    run(commands::RotateToken{id, commands::ExpireMode::later});
    run(commands::ExpireRotationNow{id});
    run(commands::RotateToken{id, commands::ExpireMode::later});
    now += 2000;
    engine->scheduleDueExpiries();
    run(commands::RotateToken{id, commands::ExpireMode::now});
    run(commands::SetPermission{"bob", true});
    run(commands::DeleteIntegration{id});
    write(out / "fuzz_token", "token", *created.token);
  }
  events::Store::Options so;
  so.path = db.string();
  so.mode = events::Store::Mode::readOnly;
  auto store = events::Store::open(so);
  events::forEachEvent(*store, 1, 0, [&](uint64_t seq, std::string_view bytes) {
    write(out / "fuzz_event_decode", "event-" + std::to_string(seq), bytes);
    return true;
  });
  int n = 0;
  for (auto f : {events::keys::Family::integrations, events::keys::Family::tokens}) {
    store->scanPrefix(f, {}, [&](std::string_view, std::string_view value) {
      write(out / "fuzz_view_decode", "view-" + std::to_string(n++), value);
      return true;
    });
  }
  write(out / "fuzz_time", "t1", "2026-11-28T17:00:00.000Z");
  write(out / "fuzz_time", "t2", "2026-02-28T23:59:59.999+05:30");
  write(out / "fuzz_time", "d1", "36h");
  write(out / "fuzz_time", "d2", "250ms");
  write(out / "fuzz_validate", "v1", std::string("  My App \x01" "desc\x01" "acme\x01" "contacts.write\x01" "contacts.readonly"));
  for (const auto& [name, input] : fuzz::httpSeeds()) write(out / "fuzz_http", name, input);
  for (const auto& seed : pitlog::rpc::testing::hostileSeeds()) {
    std::string file = seed.method + "-" + seed.name;
    std::replace(file.begin(), file.end(), ' ', '-');
    write(out / "fuzz_rpc", file,
          std::string_view(reinterpret_cast<const char*>(seed.input.data()), seed.input.size()));
  }
  // fuzz_introspect_fast: an even first byte, then a body; an odd one, then texts and numbers.
  const fs::path fast = out / "fuzz_introspect_fast";
  write(fast, "body", std::string(1, '\0') + R"({"token":"pit_abc","requiredScope":"contacts.write"})");
  write(fast, "body-reversed", std::string(1, '\0') + R"({"requiredScope":"s","token":"t"})");
  std::string answer = "\1contacts.readonly contacts.write";
  for (std::string_view part : {"acme", "int_1"}) (answer += '\0') += part;
  answer += '\0';
  const int64_t numbers[] = {0x0f, 1'764'384'000'123, 1'765'000'000'000};  // flags, iat, exp
  answer.append(reinterpret_cast<const char*>(numbers), sizeof numbers);
  write(fast, "answer", answer);
  write(out / "fuzz_config", "full",
        "# pitd.conf\ndata = /var/lib/pitlog\nhttp = 0.0.0.0:8080\nrpc = off\n"
        "service-keys = /etc/pitlog/keys\nscopes = /etc/pitlog/scopes.txt\n"
        "rotation-window = 36h\nsync = false\nlog-level = debug\nlog-format = json\n");
  write(out / "fuzz_config", "ipv6", "http = [::1]:0\nrpc = 127.0.0.1:65535\nrotation-window = 2s\n");
  // fuzz_verify_proof: each valid input behind the selector byte that names it.
  const auto& proofInputs = fuzz::validProofInputs();
  for (int i = 0; i < fuzz::ProofInputs::kCount; ++i) {
    write(out / "fuzz_verify_proof", "valid-" + std::to_string(i),
          std::string(1, char(i)) + *proofInputs.texts()[size_t(i)]);
  }
  write(out / "fuzz_config", "scopes", "contacts.readonly\n# comment\ncontacts.write\n");
  store.reset();
  fs::remove_all(db);
  return 0;
}
