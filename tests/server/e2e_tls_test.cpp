// pitd with --tls-cert/--tls-key, as a client meets it: a self-signed certificate made at test time
// (tls_test_cert.h), the real pitd, and OpenSSL's own client (not kj's, so the server's TLS is
// checked by an implementation other than the one that serves it). Also: the clients no server
// should let hurt it (plain HTTP, garbage, a stalled handshake, a distrusting client, TLS 1.1)
// and the configuration errors that must stop pitd before it serves anything.
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "pitctl/pitctl.h"
#include "support/test_server.h"
#include "tls_test_cert.h"

using namespace pitlog::testing;

namespace {

using Clock = std::chrono::steady_clock;

// A TCP connection to 127.0.0.1:port with a receive timeout.
class Tcp {
 public:
  Tcp(int port, int timeoutSeconds = 10) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    timeval tv{timeoutSeconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~Tcp() { ::close(fd_); }
  Tcp(const Tcp&) = delete;
  Tcp& operator=(const Tcp&) = delete;
  int fd() const { return fd_; }

  void send(const std::string& bytes) {
    CHECK(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
  }
  // Everything until the server closes (true), or until the timeout (false).
  bool readToClose(std::string* got) {
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;  // a reset is a close too
      got->append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
};

std::string opensslErrors() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof buffer);
    text += std::string(text.empty() ? "" : "; ") + buffer;
  }
  return text;
}

struct Reply {
  int status = 0;
  std::string body;
};

// One TLS connection through OpenSSL, verifying the server against caFile and the name `host`.
// Requests are keep-alive; replies are read by Content-Length.
class TlsClient {
 public:
  struct Options {
    std::string caFile;
    std::string host = "localhost";
    int maxVersion = 0;  // e.g. TLS1_1_VERSION to offer only old versions
  };

  TlsClient(int port, const Options& o) : tcp_(port) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    REQUIRE(ctx_ != nullptr);
    REQUIRE(SSL_CTX_load_verify_locations(ctx_, o.caFile.c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (o.maxVersion) {
      // Let this client offer versions OpenSSL 3 refuses by default: the server must refuse them.
      SSL_CTX_set_security_level(ctx_, 0);
      SSL_CTX_set_min_proto_version(ctx_, TLS1_VERSION);
      SSL_CTX_set_max_proto_version(ctx_, o.maxVersion);
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, tcp_.fd());
    SSL_set_tlsext_host_name(ssl_, o.host.c_str());
    SSL_set1_host(ssl_, o.host.c_str());
    ERR_clear_error();
    if (SSL_connect(ssl_) == 1) {
      connected_ = true;
    } else {
      error_ = opensslErrors();
      const long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) error_ += std::string(" [verify: ") + X509_verify_cert_error_string(verify) + "]";
    }
  }
  ~TlsClient() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }
  std::string version() const { return SSL_get_version(ssl_); }

  Reply request(const std::string& method, const std::string& target, const Headers& headers = {},
                const std::string& body = {}) {
    REQUIRE(connected_);
    std::string text = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n";
    for (const auto& [name, value] : headers) text += name + ": " + value + "\r\n";
    if (!body.empty() || method != "GET") text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    text += "\r\n" + body;
    REQUIRE(SSL_write(ssl_, text.data(), static_cast<int>(text.size())) == static_cast<int>(text.size()));

    std::string in;
    size_t headerEnd = std::string::npos;
    size_t length = 0;
    for (;;) {
      if (headerEnd == std::string::npos) {
        headerEnd = in.find("\r\n\r\n");
        if (headerEnd != std::string::npos) {
          std::string head = in.substr(0, headerEnd);
          for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          const auto at = head.find("\r\ncontent-length:");
          if (at != std::string::npos) length = std::stoul(head.substr(at + 17));
        }
      }
      if (headerEnd != std::string::npos && in.size() >= headerEnd + 4 + length) break;
      char chunk[16384];
      const int n = SSL_read(ssl_, chunk, sizeof chunk);
      REQUIRE(n > 0);
      in.append(chunk, static_cast<size_t>(n));
    }
    Reply r;
    REQUIRE(in.rfind("HTTP/1.1 ", 0) == 0);
    r.status = std::stoi(in.substr(9, 3));
    r.body = in.substr(headerEnd + 4, length);
    return r;
  }

 private:
  Tcp tcp_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
  std::string error_;
};

// pitd over TLS with a fresh self-signed certificate.
struct TlsServer {
  TempDir certs{"pitd-tls"};
  TestCert cert = makeSelfSignedCert(certs.str(), "pitd");
  TestServer server{{"--tls-cert", cert.certFile, "--tls-key", cert.keyFile}};

  TlsClient::Options trusting() const { return {cert.certFile}; }
  Reply healthz() {
    TlsClient c(server.port(), trusting());
    INFO(c.error());
    REQUIRE(c.connected());
    return c.request("GET", "/healthz");
  }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// The base64 lines of a PEM key: none of them may ever appear in pitd's output.
std::vector<std::string> keyLines(const std::string& keyFile) {
  std::vector<std::string> lines;
  std::istringstream in(readFile(keyFile));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '-' && line.size() > 16) lines.push_back(line);
  }
  REQUIRE(!lines.empty());
  return lines;
}

void requireNoKeyMaterial(const std::string& output, const std::string& keyFile) {
  CHECK_FALSE(contains(output, "-----\n"));  // no PEM block at all
  for (const auto& line : keyLines(keyFile)) CHECK_FALSE(contains(output, line));
}

}  // namespace

TEST_CASE("pitd over TLS: healthz, create and introspect through OpenSSL's client, TLS 1.3",
          "[tls]") {
  TlsServer t;
  const std::string log = t.server.log();
  // The line tests and operators parse stays as it was; TLS is a field beside it.
  CHECK(contains(log, "listening http 127.0.0.1:" + std::to_string(t.server.port()) + " "));
  CHECK(contains(log, "tls=true"));
  CHECK(contains(log, "tls enabled"));
  requireNoKeyMaterial(log, t.cert.keyFile);

  TlsClient client(t.server.port(), t.trusting());
  INFO(client.error());
  REQUIRE(client.connected());
  CHECK(client.version() == "TLSv1.3");
  auto health = client.request("GET", "/healthz");
  CHECK(health.status == 200);
  checkHealthyBody(health.body);

  // A create and an introspection of its token, on the same kept-alive TLS connection.
  const Headers admin = {{"Authorization", "Bearer " + t.server.key()},
                         {"X-Actor-User", "alice"},
                         {"X-Actor-Role", "admin"},
                         {"Content-Type", "application/json"}};
  auto created = client.request("POST", integrationsPath("acme"), admin,
                                R"({"name":"Zapier","scopes":["contacts.readonly"]})");
  INFO(redacted(created.body));
  REQUIRE(created.status == 201);
  const std::string token = Json::parse(created.body)["token"].str();
  const std::string id = Json::parse(created.body)["integration"]["id"].str();
  auto introspected = client.request(
      "POST", "/v1/introspect",
      {{"Authorization", "Bearer " + t.server.key()}, {"Content-Type", "application/json"}},
      "{\"token\":\"" + token + "\",\"requiredScope\":\"contacts.readonly\"}");
  REQUIRE(introspected.status == 200);
  auto j = Json::parse(introspected.body);
  CHECK(j["active"].boolean());
  CHECK(j["allowed"].boolean());
  CHECK(j["integration_id"].str() == id);

  // The name in the certificate and its IP address both verify.
  TlsClient byAddress(t.server.port(), {t.cert.certFile, "127.0.0.1"});
  INFO(byAddress.error());
  CHECK(byAddress.connected());

  CHECK(t.server.stop() == 0);
  CHECK_FALSE(treeContains(t.server.dataDir(), token));
  CHECK_FALSE(contains(t.server.log(), token));
}

TEST_CASE("a TLS port survives plain HTTP, garbage, stalled and distrusting clients", "[tls]") {
  TlsServer t;
  const int port = t.server.port();

  // A client already connected and served must keep being served through everything below.
  TlsClient early(port, t.trusting());
  INFO(early.error());
  REQUIRE(early.connected());
  REQUIRE(early.request("GET", "/healthz").status == 200);

  // A client that stops after the first bytes of a ClientHello, and one that sends nothing: neither
  // may hold up anyone else, nor keep its socket past the handshake timeout. (Checked: kj's own
  // wrapPort() without an accept timeout in its place fails the last part, holding them for good.)
  Tcp stalled(port, 20);
  stalled.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  const auto stalledAt = Clock::now();
  Tcp silent(port, 20);

  {  // plain HTTP is closed unanswered
    for (int i = 0; i < 5; ++i) {
      Tcp plain(port);
      plain.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
      std::string got;
      CHECK(plain.readToClose(&got));
      CHECK_FALSE(contains(got, "HTTP/1.1"));
      CHECK(t.healthz().status == 200);
    }
  }
  {  // garbage bytes, and clients that hang up mid-handshake
    for (int i = 0; i < 20; ++i) {
      Tcp garbage(port);
      std::string bytes(512 + i * 37, '\0');
      for (size_t b = 0; b < bytes.size(); ++b) bytes[b] = static_cast<char>((b * 131 + i * 7) & 0xff);
      garbage.send(bytes);
      std::string got;
      CHECK(garbage.readToClose(&got));
    }
    for (int i = 0; i < 5; ++i) {
      Tcp quitter(port);
      quitter.send(std::string("\x16\x03\x01\x00\xc8\x01", 6));
    }  // closed here, mid-handshake
    CHECK(t.healthz().status == 200);
  }
  {  // a client that trusts another CA, offers only TLS 1.1, or expects another name fails
    TempDir other("pitd-tls-other");
    auto stranger = makeSelfSignedCert(other.str(), "stranger");
    TlsClient distrusting(port, {stranger.certFile});
    CHECK_FALSE(distrusting.connected());
    CHECK(contains(distrusting.error(), "verify"));
    TlsClient old(port, {t.cert.certFile, "localhost", TLS1_1_VERSION});
    CHECK_FALSE(old.connected());
    TlsClient wrongName(port, {t.cert.certFile, "pitd.example.com"});
    CHECK_FALSE(wrongName.connected());
    CHECK(t.healthz().status == 200);
  }

  // The connection from before is still served, the stalled ones were bounded by the handshake
  // timeout (10 s), and the failures were logged, one line each, without key material.
  CHECK(early.request("GET", "/healthz").status == 200);
  std::string got;
  CHECK(stalled.readToClose(&got));
  CHECK(silent.readToClose(&got));
  const auto held = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - stalledAt);
  CHECK(held.count() >= 8);
  CHECK(held.count() <= 15);
  const std::string log = t.server.log();
  CHECK(count(log, "tls handshake failed") >= 2);
  CHECK(contains(log, "operation timed out"));
  requireNoKeyMaterial(log, t.cert.keyFile);
  CHECK(t.server.process().running());
  CHECK(t.server.stop() == 0);
}

TEST_CASE("pitctl talks https to pitd with --tls-ca, and refuses an untrusted one", "[tls][pitctl]") {
  TlsServer t;
  auto run = [&](std::vector<std::string> args, std::string* out, std::string* err) {
    std::vector<std::string> argv = {"pitctl", "--key-file", t.server.dataDir() + "/service.key",
                                     "--account", "acme", "--user", "alice", "--role", "admin"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<const char*> raw;
    for (const auto& a : argv) raw.push_back(a.c_str());
    std::ostringstream o, e;
    const int status = pitlog::tools::runPitctl(static_cast<int>(raw.size()), raw.data(), o, e);
    *out = o.str();
    *err = e.str();
    return status;
  };
  const std::string url = "https://localhost:" + std::to_string(t.server.port());
  std::string out, err;
  REQUIRE(run({"--url", url, "--tls-ca", t.cert.certFile, "--json", "create", "--name", "Zapier",
               "--scope", "contacts.readonly"},
              &out, &err) == 0);
  const std::string token = Json::parse(out)["token"].str();
  CHECK(run({"--url", url, "--tls-ca", t.cert.certFile, "--json", "introspect", token}, &out, &err) == 0);
  CHECK(Json::parse(out)["active"].boolean());

  // Without the CA (the system store does not know a self-signed cert), or plain http to the TLS
  // port: exit 2 (unreachable), with the reason.
  CHECK(run({"--url", url, "scopes"}, &out, &err) == 2);
  CHECK(contains(err, "not trusted"));
  CHECK(run({"--url", "http://localhost:" + std::to_string(t.server.port()), "scopes"}, &out, &err) == 2);
  CHECK(run({"--url", url, "--tls-ca", t.certs.sub("missing.pem"), "scopes"}, &out, &err) == 2);
  CHECK(contains(err, "--tls-ca"));
  CHECK(t.healthz().status == 200);
}

TEST_CASE("TLS configuration errors stop pitd with exit 2 naming the file, never the key", "[tls]") {
  TempDir dir("pitd-tls-config");
  const std::string data = dir.sub("data");
  auto good = makeSelfSignedCert(dir.str(), "good");
  auto other = makeSelfSignedCert(dir.str(), "other");
  auto locked = makeSelfSignedCert(dir.str(), "locked", 1, "correct horse");
  std::filesystem::create_directory(dir.sub("a-directory"));
  {
    std::ofstream(dir.sub("garbage.pem")) << "not a key\n";
  }
  std::string out;

  // One without the other.
  CHECK(runPitd({"--data", data, "--tls-cert", good.certFile}, &out) == 2);
  CHECK(contains(out, "--tls-cert needs --tls-key"));
  CHECK(runPitd({"--data", data}, &out, {"PITLOG_TLS_KEY=" + good.keyFile}) == 2);
  CHECK(contains(out, "--tls-key needs --tls-cert"));

  struct Case {
    std::string cert, key, expect;
  } cases[] = {
      {good.certFile, dir.sub("missing.pem"), "'" + dir.sub("missing.pem") + "': No such file"},
      {good.certFile, dir.sub("a-directory"), "'" + dir.sub("a-directory") + "': Is a directory"},
      {dir.sub("missing.pem"), good.keyFile, "certificate file '" + dir.sub("missing.pem")},
      {good.certFile, dir.sub("garbage.pem"), "holds no PEM private key"},
      {good.keyFile, good.keyFile, "holds no PEM certificate"},
      {good.certFile, locked.keyFile, "holds an encrypted key"},
      {good.certFile, other.keyFile, "does not belong to the certificate"},
  };
  for (const auto& c : cases) {
    INFO(c.cert << " / " << c.key);
    CHECK(runPitd({"--data", data, "--http", "127.0.0.1:0", "--rpc", "off", "--tls-cert", c.cert,
                   "--tls-key", c.key},
                  &out) == 2);
    CHECK(contains(out, c.expect));
    CHECK_FALSE(contains(out, "listening"));
    requireNoKeyMaterial(out, good.keyFile);
    requireNoKeyMaterial(out, other.keyFile);
  }
}

TEST_CASE("an expired certificate: pitd starts, warns, and verifying clients refuse it", "[tls]") {
  TempDir certs("pitd-tls-expired");
  auto expired = makeSelfSignedCert(certs.str(), "expired", -1);
  TestServer server({"--tls-cert", expired.certFile, "--tls-key", expired.keyFile});
  CHECK(contains(server.log(), "tls certificate has expired"));
  TlsClient client(server.port(), {expired.certFile});
  CHECK_FALSE(client.connected());
  CHECK(contains(client.error(), "expired"));
  CHECK(server.stop() == 0);
}

TEST_CASE("520 silent sockets do not lock new TLS clients out", "[tls][connections][catalogue]") {
  TlsServer t;
  const int port = t.server.port();
  // More silent connections than handshakes may be in progress (512): the newest client must
  // still get through, and the silent ones go after the first-byte deadline (2 s).
  std::vector<std::unique_ptr<Tcp>> silent;
  for (int i = 0; i < 520; ++i) silent.push_back(std::make_unique<Tcp>(port, 20));
  for (int i = 0; i < 3; ++i) CHECK(t.healthz().status == 200);
  // The flooder cannot hold its place by reconnecting either: each new TLS client takes the
  // place of the oldest waiting socket.
  for (int i = 0; i < 64; ++i) silent.push_back(std::make_unique<Tcp>(port, 20));
  CHECK(t.healthz().status == 200);
  std::string got;
  CHECK(silent.front()->readToClose(&got));
  CHECK(silent.back()->readToClose(&got));
  CHECK(got.empty());
  CHECK(t.server.process().running());
  CHECK(t.server.stop() == 0);
  std::cout << "connections: TLS port with 584 silent sockets: 4 of 4 new TLS clients served\n";
}
