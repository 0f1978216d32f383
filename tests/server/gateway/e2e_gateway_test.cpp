// A stock API gateway in front of a backend, using pitd's introspection: Apache httpd with
// mod_auth_openidc (Debian's packages) as an OAuth 2.0 resource server (`AuthType oauth20`),
// authenticating its introspection calls as an OAuth client (client_secret_basic, its default,
// and client_secret_post) to pitd over TLS. The configuration is apache.conf.in beside this file
// (the README's "Protecting an API with pitlog tokens" is its gateway part). The test starts both
// servers on free loopback ports and stops them by PID.
//
// Without Apache and the module the test fails, saying so; CTest runs it through
// run_gateway_test.sh, which reports it skipped (exit 77, SKIP_RETURN_CODE), never passed.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "commands/token.h"
#include "pitctl/pitctl.h"
#include "support/test_server.h"
#include "tls_test_cert.h"

using namespace pitlog::testing;

namespace {

constexpr const char* kApache = "/usr/sbin/apache2";
constexpr const char* kModule = "/usr/lib/apache2/modules/mod_auth_openidc.so";

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0644);
}

// pitd over TLS, with its certificate in a directory Apache's workers (www-data) can read.
struct Pitd {
  TempDir certs{"gateway-pitd-tls"};
  TestCert cert = [this] {
    ::chmod(certs.str().c_str(), 0755);
    TestCert c = makeSelfSignedCert(certs.str(), "pitd");
    ::chmod(c.certFile.c_str(), 0644);
    return c;
  }();
  TestServer server{{"--tls-cert", cert.certFile, "--tls-key", cert.keyFile}};

  // pitctl over https, in process; its --json output.
  std::string pitctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {
        "pitctl", "--url", "https://localhost:" + std::to_string(server.port()), "--tls-ca",
        cert.certFile, "--key-file", server.dataDir() + "/service.key", "--account", "acme",
        "--user", "alice", "--role", "admin", "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<const char*> raw;
    for (const auto& a : argv) raw.push_back(a.c_str());
    std::ostringstream out, err;
    const int status = pitlog::tools::runPitctl(static_cast<int>(raw.size()), raw.data(), out, err);
    INFO(args[0] << ": " << redacted(err.str()));
    REQUIRE(status == 0);
    return out.str();
  }
  Created create(const std::vector<std::string>& scopes) {
    std::vector<std::string> args = {"create", "--name", "Gateway client"};
    for (const auto& s : scopes) args.insert(args.end(), {"--scope", s});
    Json created = Json::parse(pitctl(args));
    return Created{created["integration"]["id"].str(), created["token"].str(), {}};
  }
};

// Apache httpd from apache.conf.in: the gateway on one port, the backend on another.
class Gateway {
 public:
  Gateway(Pitd& pitd, const std::string& clientAuth) {
    ::chmod(dir_.str().c_str(), 0755);
    std::filesystem::create_directories(dir_.sub("backend/contacts"));
    writeFile(dir_.sub("backend/hello"), "hello from the backend\n");
    writeFile(dir_.sub("backend/contacts/list"), "the contacts\n");
    ::chmod(dir_.sub("backend").c_str(), 0755);
    ::chmod(dir_.sub("backend/contacts").c_str(), 0755);
    port_ = freePort();
    int backendPort = freePort();
    while (backendPort == port_) backendPort = freePort();
    std::string conf = readFile(GATEWAY_CONF_IN);
    replaceAll(conf, "@DIR@", dir_.str());
    replaceAll(conf, "@GATEWAY_PORT@", std::to_string(port_));
    replaceAll(conf, "@BACKEND_PORT@", std::to_string(backendPort));
    replaceAll(conf, "@PITD_PORT@", std::to_string(pitd.server.port()));
    replaceAll(conf, "@CA_FILE@", pitd.cert.certFile);
    replaceAll(conf, "@SERVICE_KEY@", pitd.server.key());
    replaceAll(conf, "@AUTH@", clientAuth);
    const std::string confFile = dir_.sub("httpd.conf");
    std::ofstream(confFile) << conf;

    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const std::string out = dir_.sub("apache.out");
      FILE* f = std::freopen(out.c_str(), "w", stdout);
      (void)f;
      ::dup2(::fileno(stdout), 2);
      ::execl(kApache, kApache, "-f", confFile.c_str(), "-DFOREGROUND", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !accepts(port_); ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL("apache2 exited at start: " << readFile(dir_.sub("apache.out"))
                                          << readFile(dir_.sub("error.log")));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(accepts(port_));
  }
  ~Gateway() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }

  HttpResponse get(const std::string& path, const std::optional<std::string>& token) {
    Headers h;
    if (token) h.push_back({"Authorization", "Bearer " + *token});
    return httpRequest(port_, "GET", path, h);
  }
  // Whether the backend answered: it did only when the gateway let the request through.
  bool passes(const std::string& path, const std::optional<std::string>& token) {
    HttpResponse r = get(path, token);
    INFO(path << " -> " << r.status << " " << redacted(r.body) << "\n"
              << redacted(readFile(dir_.sub("error.log"))));
    const bool reachedBackend = r.has("x-backend-saw-integration");
    CHECK(reachedBackend == (r.status == 200));
    if (r.status != 200) CHECK((r.status == 401 || r.status == 403));
    return r.status == 200 && reachedBackend;
  }

 private:
  TempDir dir_{"gateway-apache"};
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("Apache + mod_auth_openidc protects an API with pitlog tokens through /v1/introspect",
          "[gateway]") {
  if (::access(kApache, X_OK) != 0 || ::access(kModule, R_OK) != 0) {
    FAIL("Apache httpd with mod_auth_openidc is not installed: scripts/setup.sh installs apache2 "
         "and libapache2-mod-auth-openidc");
  }
  const std::string clientAuth = GENERATE("client_secret_basic", "client_secret_post");
  INFO("OIDCOAuthIntrospectionEndpointAuth " << clientAuth);
  Pitd pitd;
  const Created reader = pitd.create({"contacts.readonly"});
  const Created writer = pitd.create({"contacts.readonly", "contacts.write"});
  Gateway gateway(pitd, clientAuth);

  // A valid token passes, and the backend receives its claims.
  HttpResponse ok = gateway.get("/api/hello", reader.token);
  INFO(redacted(ok.body));
  REQUIRE(ok.status == 200);
  CHECK(ok.body == "hello from the backend\n");
  CHECK(ok.header("x-backend-saw-integration") == reader.id);
  CHECK(ok.header("x-backend-saw-account") == "acme");
  CHECK(ok.header("x-backend-saw-scope") == "contacts.readonly");

  // Missing, malformed and unknown (well-formed, never issued) tokens are refused.
  CHECK_FALSE(gateway.passes("/api/hello", std::nullopt));
  CHECK_FALSE(gateway.passes("/api/hello", std::string("not-a-token")));
  const Created other = pitd.create({"contacts.readonly"});
  pitd.pitctl({"delete", other.id});
  std::string mistyped = reader.token;
  mistyped[10] = mistyped[10] == 'A' ? 'B' : 'A';  // its checksum no longer holds
  CHECK_FALSE(gateway.passes("/api/hello", mistyped));
  const std::string unknown = pitlog::commands::generateToken().plaintext;  // never issued
  REQUIRE(pitlog::commands::isWellFormedToken(unknown));
  CHECK_FALSE(gateway.passes("/api/hello", unknown));

  // The scope rule lets through only the token that holds contacts.write.
  CHECK(gateway.passes("/api/contacts/list", writer.token));
  CHECK_FALSE(gateway.passes("/api/contacts/list", reader.token));

  // Expired: after a rotation the previous token passes until its window is cut short.
  Json rotated = Json::parse(pitd.pitctl({"rotate", reader.id, "--expire", "later"}));
  const std::string next = rotated["token"].str();
  CHECK(gateway.passes("/api/hello", reader.token));
  pitd.pitctl({"expire-now", reader.id});
  CHECK_FALSE(gateway.passes("/api/hello", reader.token));
  CHECK(gateway.passes("/api/hello", next));

  // Deleted: a token of a deleted integration is refused at once.
  CHECK_FALSE(gateway.passes("/api/hello", other.token));
  CHECK(gateway.passes("/api/hello", writer.token));
  pitd.pitctl({"delete", writer.id});
  CHECK_FALSE(gateway.passes("/api/hello", writer.token));

  // Every introspection call of the gateway authenticated as its OAuth client, never by Bearer.
  pitd.server.stop();
  const std::string log = pitd.server.log();
  CHECK(log.find("route=/v1/introspect status=200") != std::string::npos);
  CHECK(log.find("route=/v1/introspect status=401") == std::string::npos);
  CHECK(log.find("client=gateway-test") != std::string::npos);
}
