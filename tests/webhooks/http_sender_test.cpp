// The network Sender against receivers on loopback ports of the test's own event loop: what a
// receiver gets, how each failure is reported, the SSRF guard on resolved addresses, and TLS.
#include "webhooks/http_sender.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include "server/tls_test_cert.h"
#include "support/temp_dir.h"
#include "webhooks/receivers.h"
#include "webhooks/signature.h"

using namespace pitlog::webhooks;
using pitlog::webhooks::testing::Receiver;

namespace {

kj::ArrayPtr<const kj::byte> bytes(const std::string& s) {
  return kj::arrayPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::string kKey = std::string(32, '\x42');
const std::string kBody =
    "{\"type\":\"token.rotated\",\"timestamp\":\"2026-11-28T17:00:00.000Z\","
    "\"data\":{\"accountId\":\"acme\",\"name\":\"caf\xc3\xa9\"}}";

WebhookMessage message(const std::string& url) {
  return WebhookMessage{url, "evt_0123456789abcdef0123456789abcdef", 1764349200, kBody};
}

struct Fixture {
  kj::AsyncIoContext io = kj::setupAsyncIo();

  AttemptResult send(const std::string& url, SenderOptions options) {
    auto sender = makeHttpSender(*io.provider, options);
    return sender->send(message(url), bytes(kKey)).wait(io.waitScope);
  }
  std::string local(uint16_t port, const char* path = "/hooks/in?x=1") {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
};

SenderOptions privateAllowed(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
  SenderOptions options;
  options.allowPrivate = true;
  options.timeout = timeout;
  return options;
}

// The test certificate re-signed to name only `host`: a trusted certificate for another name.
std::string certNaming(const pitlog::testing::TestCert& cert, const std::string& host) {
  std::unique_ptr<BIO, decltype(&BIO_free)> certBio(
      BIO_new_mem_buf(cert.certPem.data(), int(cert.certPem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x509(
      PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr), &X509_free);
  const std::string keyPem = readFile(cert.keyFile);
  std::unique_ptr<BIO, decltype(&BIO_free)> keyBio(
      BIO_new_mem_buf(keyPem.data(), int(keyPem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  REQUIRE(x509);
  REQUIRE(key);
  // Both deletions hand the removed entry back to the caller, who frees it.
  X509_EXTENSION_free(
      X509_delete_ext(x509.get(), X509_get_ext_by_NID(x509.get(), NID_subject_alt_name, -1)));
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name,
                                            ("DNS:" + host).c_str());
  REQUIRE(san != nullptr);
  X509_add_ext(x509.get(), san, -1);
  X509_EXTENSION_free(san);
  X509_NAME* subject = X509_get_subject_name(x509.get());
  X509_NAME_ENTRY_free(
      X509_NAME_delete_entry(subject, X509_NAME_get_index_by_NID(subject, NID_commonName, -1)));
  X509_set_issuer_name(x509.get(), subject);
  REQUIRE(X509_sign(x509.get(), key.get(), EVP_sha256()) > 0);
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_X509(out.get(), x509.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, size_t(n));
}

}  // namespace

TEST_CASE("A 2xx answer is delivered: the receiver gets the exact body and verifiable headers") {
  Fixture f;
  Receiver receiver(f.io);
  receiver.answerWith(204);
  AttemptResult result = f.send(f.local(receiver.port()), privateAllowed());
  CHECK(result.delivered());
  CHECK(result.status == 204);
  CHECK(result.error.empty());

  REQUIRE(receiver.received().size() == 1);
  const auto& got = receiver.received()[0];
  CHECK(got.method == "POST");
  CHECK(got.url == "/hooks/in?x=1");
  CHECK(got.body == kBody);
  CHECK(got.headers.at("content-type") == "application/json");
  CHECK(got.headers.at("content-length") == std::to_string(kBody.size()));
  CHECK(got.headers.at("host") == "127.0.0.1:" + std::to_string(receiver.port()));
  CHECK(got.headers.at("user-agent").rfind("pitlog-webhooks/", 0) == 0);
  CHECK(got.headers.at("user-agent").size() > std::string("pitlog-webhooks/").size());
  CHECK(got.headers.at("webhook-id") == "evt_0123456789abcdef0123456789abcdef");
  CHECK(got.headers.at("webhook-timestamp") == "1764349200");
  Verification verified =
      verifyMessage(bytes(kKey), got.headers.at("webhook-id"), got.headers.at("webhook-timestamp"),
                    got.body, got.headers.at("webhook-signature"), 1764349200);
  CHECK(verified.valid);
  CHECK(verified.reason.empty());
}

TEST_CASE("A 500 answer is reported with its status and is not delivered") {
  Fixture f;
  Receiver receiver(f.io);
  receiver.answerWith(500);
  AttemptResult result = f.send(f.local(receiver.port()), privateAllowed());
  CHECK_FALSE(result.delivered());
  CHECK(result.status == 500);
  CHECK(result.error.empty());
}

TEST_CASE("A redirect is not followed: a 301 is reported with its status after one request") {
  Fixture f;
  Receiver receiver(f.io);
  receiver.answerWith(301, "http://127.0.0.1:" + std::to_string(receiver.port()) + "/moved");
  AttemptResult result = f.send(f.local(receiver.port()), privateAllowed());
  CHECK_FALSE(result.delivered());
  CHECK(result.status == 301);
  CHECK(receiver.received().size() == 1);
}

TEST_CASE("A receiver that never answers is cut at the timeout and reported as timed out") {
  Fixture f;
  Receiver receiver(f.io);
  receiver.hang();
  AttemptResult result =
      f.send(f.local(receiver.port()), privateAllowed(std::chrono::milliseconds(1000)));
  CHECK(result.status == 0);
  CHECK(result.error == "timed out after 1 s");
}

TEST_CASE("A receiver that trickles its answer's head is cut at the timeout") {
  Fixture f;
  pitlog::webhooks::testing::TricklingReceiver receiver(f.io, 20, "HTTP/1.1 200 OK\r\n");
  AttemptResult result =
      f.send(f.local(receiver.port()), privateAllowed(std::chrono::milliseconds(300)));
  CHECK(result.status == 0);
  CHECK(result.error == "timed out after 300 ms");
}

TEST_CASE("A 2xx whose body trickles past the timeout is cut and still counts as delivered") {
  Fixture f;
  pitlog::webhooks::testing::TricklingReceiver receiver(
      f.io, 20, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
  // Two seconds: time enough, even on a loaded machine, for the head to arrive before the cut.
  AttemptResult result =
      f.send(f.local(receiver.port()), privateAllowed(std::chrono::milliseconds(2000)));
  CHECK(result.delivered());
  CHECK(result.status == 200);
  CHECK(result.error.empty());
}

TEST_CASE("A receiver that closes the connection without answering is reported so") {
  Fixture f;
  pitlog::webhooks::testing::ClosingReceiver receiver(f.io);
  AttemptResult result = f.send(f.local(receiver.port()), privateAllowed());
  CHECK(result.status == 0);
  // Linux closes a socket with unread data by a reset (RST) instead of a FIN.
  CHECK_THAT(result.error, Catch::Matches("the receiver closed the connection before answering|"
                                          "connection reset by the receiver"));
}

TEST_CASE("A port nobody listens on is reported as connection refused") {
  Fixture f;
  AttemptResult result = f.send(f.local(pitlog::webhooks::testing::closedPort(f.io)),
                                privateAllowed());
  CHECK(result.status == 0);
  CHECK(result.error == "connection refused");
}

TEST_CASE("Without allowPrivate a loopback target is refused before any connection") {
  Fixture f;
  Receiver receiver(f.io);
  SenderOptions options;  // allowPrivate = false
  SECTION("an address in the URL") {
    AttemptResult result = f.send(
        "https://127.0.0.1:" + std::to_string(receiver.port()) + "/hooks/in", options);
    CHECK(result.status == 0);
    CHECK(result.error == "address 127.0.0.1 is private");
  }
  SECTION("an address spelt as one number") {
    AttemptResult result =
        f.send("https://2130706433:" + std::to_string(receiver.port()) + "/", options);
    CHECK(result.error == "address 127.0.0.1 is private");
  }
  SECTION("a name that resolves to loopback, caught on the resolved addresses") {
    AttemptResult result =
        f.send("https://localhost:" + std::to_string(receiver.port()) + "/hooks/in", options);
    CHECK(result.status == 0);
    CHECK_THAT(result.error, Catch::Matches("address (127\\.0\\.0\\.1|::1) is private"));
  }
  SECTION("plain http") {
    AttemptResult result = f.send(f.local(receiver.port()), options);
    CHECK(result.error == "a webhook URL must use https");
  }
  CHECK(receiver.received().empty());
}

TEST_CASE("An https receiver whose certificate is trusted and names the host gets the message") {
  Fixture f;
  pitlog::testing::TempDir dir("webhooks-tls");
  auto cert = pitlog::testing::makeSelfSignedCert(dir.str(), "receiver");
  auto tls = pitlog::webhooks::testing::serverTls(cert.certPem, readFile(cert.keyFile));
  Receiver receiver(f.io, tls.get());
  receiver.answerWith(200);
  const std::string url = "https://localhost:" + std::to_string(receiver.port()) + "/tls";

  SECTION("trusted through extraTrustedCaPem: delivered") {
    SenderOptions options = privateAllowed();
    options.extraTrustedCaPem = cert.certPem;
    AttemptResult result = f.send(url, options);
    CHECK(result.delivered());
    CHECK(result.error.empty());
    REQUIRE(receiver.received().size() == 1);
    CHECK(receiver.received()[0].body == kBody);
  }
  SECTION("not trusted: refused in the handshake, nothing sent") {
    AttemptResult result = f.send(url, privateAllowed());
    CHECK(result.status == 0);
    CHECK(result.error.rfind("TLS: the receiver's certificate is not trusted", 0) == 0);
    CHECK(receiver.received().empty());
  }
}

TEST_CASE("An https receiver whose trusted certificate names another host is refused") {
  Fixture f;
  pitlog::testing::TempDir dir("webhooks-tls");
  auto cert = pitlog::testing::makeSelfSignedCert(dir.str(), "receiver");
  const std::string otherPem = certNaming(cert, "receiver.example");
  auto tls = pitlog::webhooks::testing::serverTls(otherPem, readFile(cert.keyFile));
  Receiver receiver(f.io, tls.get());
  SenderOptions options = privateAllowed();
  options.extraTrustedCaPem = otherPem;
  AttemptResult result =
      f.send("https://localhost:" + std::to_string(receiver.port()) + "/tls", options);
  CHECK(result.status == 0);
  CHECK_THAT(result.error, Catch::StartsWith("TLS: the receiver's certificate is not trusted") &&
                               Catch::Contains("hostname mismatch"));
  CHECK(receiver.received().empty());
}

TEST_CASE("A refused URL is reported without a network attempt and the sender never throws") {
  Fixture f;
  AttemptResult result = f.send("not a url", privateAllowed());
  CHECK(result.status == 0);
  CHECK(result.error == "a webhook URL is printable ASCII without spaces");
}

TEST_CASE("An https target named by an IP address fails the name check, failing closed") {
  // kj 0.9.2's TLS client checks the certificate against the host as a DNS name only, so a
  // certificate's IP address entry (this one has IP:127.0.0.1) never matches: https targets are
  // named by host name. The failure says why, and nothing is sent.
  Fixture f;
  pitlog::testing::TempDir dir("webhooks-tls");
  auto cert = pitlog::testing::makeSelfSignedCert(dir.str(), "receiver");
  auto tls = pitlog::webhooks::testing::serverTls(cert.certPem, readFile(cert.keyFile));
  Receiver receiver(f.io, tls.get());
  SenderOptions options = privateAllowed();
  options.extraTrustedCaPem = cert.certPem;
  AttemptResult result =
      f.send("https://127.0.0.1:" + std::to_string(receiver.port()) + "/tls", options);
  CHECK(result.status == 0);
  CHECK(result.error == "TLS: the receiver's certificate is not trusted (hostname mismatch)");
  CHECK(receiver.received().empty());
}

TEST_CASE("A message whose id is not a valid webhook-id is not sent") {
  Fixture f;
  Receiver receiver(f.io);
  auto sender = makeHttpSender(*f.io.provider, privateAllowed());
  for (const char* id : {"", "evt.1", "evt 1", "evt\r\nx-injected: 1"}) {
    INFO(id);
    WebhookMessage m = message(f.local(receiver.port()));
    m.id = id;
    AttemptResult result = sender->send(m, bytes(kKey)).wait(f.io.waitScope);
    CHECK(result.status == 0);
    CHECK(result.error ==
          "the message's webhook-id is not 1 to 256 printable characters without '.' or spaces");
  }
  CHECK(receiver.received().empty());
}

TEST_CASE("An attempt dropped before it resolves leaves the sender able to send again") {
  Fixture f;
  Receiver hanging(f.io);
  hanging.hang();
  Receiver answering(f.io);
  auto sender = makeHttpSender(*f.io.provider, privateAllowed());
  {
    auto dropped = sender->send(message(f.local(hanging.port())), bytes(kKey));
    // Let it connect and send; then drop it, as a shutting-down worker would.
    for (int i = 0; i < 10000 && hanging.received().empty(); ++i) {
      f.io.provider->getTimer().afterDelay(1 * kj::MILLISECONDS).wait(f.io.waitScope);
    }
    REQUIRE(hanging.received().size() == 1);
  }
  AttemptResult result = sender->send(message(f.local(answering.port())), bytes(kKey))
                             .wait(f.io.waitScope);
  CHECK(result.delivered());
}

TEST_CASE("A sender with a timeout that is not positive is refused") {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  SenderOptions options;
  options.timeout = std::chrono::milliseconds(0);
  CHECK_THROWS_AS(makeHttpSender(*io.provider, options), kj::Exception);
}
