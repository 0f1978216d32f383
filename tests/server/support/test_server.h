#pragma once
// One pitd for one test: its own data directory and log file, started with
// `--http 127.0.0.1:0 --rpc off --rotation-window 2s` (unless the test names another window), plus the requests the tests repeat
// (create an integration, introspect a token, count events). Plaintext tokens are returned to
// the test but never printed: failure messages go through redacted().
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/json.h"
#include "support/pitd_process.h"
#include "support/temp_dir.h"

namespace pitlog::testing {

struct Actor {
  std::string user = "alice";
  std::string role = "admin";
};
inline const Actor kAdmin{"alice", "admin"};

struct Created {
  std::string id;
  std::string token;
  HttpResponse response;
};

class TestServer {
 public:
  explicit TestServer(std::vector<std::string> extraArgs = {});

  void start();
  int stop();  // SIGTERM; the exit status
  void restart() {
    stop();
    start();
  }
  PitdProcess& process() { return *pitd_; }

  int port() const { return pitd_->port(); }
  const std::string& key() const { return key_; }
  std::string dataDir() const { return data_.str(); }
  std::string logFile() const { return logs_.sub("pitd.log"); }
  std::string log() const { return readFile(logFile()); }

  // Authorization (and, with an actor, X-Actor-User / X-Actor-Role) plus `extra`.
  Headers headers(const std::optional<Actor>& actor = kAdmin, const Headers& extra = {}) const;

  HttpResponse get(const std::string& target, const std::optional<Actor>& actor = kAdmin,
                   const Headers& extra = {});
  // With Content-Type: application/json when the body is not empty.
  HttpResponse send(const std::string& method, const std::string& target,
                    const std::string& body = {}, const std::optional<Actor>& actor = kAdmin,
                    const Headers& extra = {});

  // POST /v1/accounts/{account}/integrations; REQUIREs 201.
  Created create(const std::string& account, const std::string& name = "Zapier",
                 const std::vector<std::string>& scopes = {"contacts.readonly"},
                 const Actor& actor = kAdmin, const Headers& extra = {});
  // POST /v1/introspect with a JSON body; REQUIREs 200.
  Json introspect(const std::string& token, const std::optional<std::string>& scope = {});
  bool active(const std::string& token) { return introspect(token)["active"].boolean(); }

  // The sequence of the last committed event (pitlog_log_last_sequence on /metrics).
  uint64_t lastSeq();
  // How many events /audit lists for the account.
  size_t auditCount(const std::string& account);
  // Signs in to the console as `actor` of `account` through a link the service asked for;
  // returns the session cookie ("pitlog_console=..."), as a browser would send it back.
  std::string consoleCookie(const std::string& account, const Actor& actor = kAdmin);

 private:
  std::vector<std::string> args_;
  TempDir data_{"pitd-data"};
  TempDir logs_{"pitd-logs"};
  std::unique_ptr<PitdProcess> pitd_;
  std::string key_;
};

// CHECKs a healthy /healthz body: exactly {"status":"ok"} from a single node; from a cluster node
// (PITLOG_TEST_CLUSTER) "status" "ok" first, then the "cluster" member API.md adds, connected.
void checkHealthyBody(const std::string& body);

// "/v1/accounts/<account>/integrations[/<id>[<suffix>]]"
std::string integrationsPath(const std::string& account, const std::string& id = {},
                             const std::string& suffix = {});

}  // namespace pitlog::testing
