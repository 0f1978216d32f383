// libFuzzer target: pitd's HTTP request handler (server/http/api_service.h), the same
// kj::HttpService and kj::HttpServer settings pitd serves, over an in-memory pipe served as pitd
// serves a connection (server/http_connections.h: one write per response, flushed at the end). Each input is
// the bytes of one connection (fuzz/http_input.h: raw, or a structured request with a valid key
// and actor whose JSON body the fuzzer mutates).
//
// Built once per process: one event loop, one engine on a temp data dir (scratch_engine.h)
// holding integrations of two accounts, so that ids and tokens exist.
// Inputs share that database (a delete stays deleted); a long run starts a fresh one now and then.
//
// Oracles beyond ASan/UBSan/LSan:
//   - no answer is 500 `internal`: pitd answers 500 only for a bug or a damaged database;
//   - a connection whose answers are all errors appended nothing (API.md: a request that
//     fails changes nothing);
//   - every connection is answered and closed within kDeadline: a hang is a finding too;
//   - authorization: a connection that carries no valid service key in any form (plain, %-encoded,
//     inside a Basic credential) gets no 2xx or 3xx from any route but the open ones (/healthz,
//     /metrics, the console's files and sign-out: isOpenRoute) and appends nothing; a console
//     session cannot stand in for the key, since no session exists that the input could name. What answered is read from pitd's access records, which
//     name the route whose handler ran.
#include <kj/async-io.h>
#include <kj/compat/http.h>
#include <kj/encoding.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "http_input.h"
#include "scratch_engine.h"
#include "server/http/api_service.h"
#include "server/connection_limits.h"
#include "server/http_connections.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/service_keys.h"

using namespace pitlog;

namespace {

// Bigger inputs add little but time: the 64 KiB body limit is reached through Content-Length.
constexpr size_t kMaxInput = 16 * 1024;
// Far above any honest answer (which takes well under a millisecond); only a hang reaches it.
constexpr kj::Duration kDeadline = 10 * kj::SECONDS;
constexpr size_t kMaxResponse = 4 * 1024 * 1024;
constexpr const char* kServiceKey = "fuzz-service-key-0123456789";

// Keeps the access records ("http") of the input being run: the route each answer came from.
class AccessRecords : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Answer {
    std::string route;
    int status;
  };
  std::vector<Answer> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(answers_, {});
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    if (text.find("\"msg\":\"http\"") == std::string_view::npos) return;
    const std::string route = field(text, "route"), status = field(text, "status");
    if (status.size() != 3) return;  // a protocol error's record names no status of a route
    answers_.push_back({route, std::atoi(status.c_str())});
  }
  void flush_() override {}

 private:
  static std::string field(std::string_view record, std::string_view name) {
    const std::string key = "\"" + std::string(name) + "\":\"";
    const size_t at = record.find(key);
    if (at == std::string_view::npos) return {};
    const size_t end = record.find('"', at + key.size());
    return std::string(record.substr(at + key.size(), end - at - key.size()));
  }
  std::vector<Answer> answers_;
};

struct Harness {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  server::SharedServiceKeys keys{server::ServiceKeys::parse(kServiceKey)};
  server::Metrics metrics;
  fuzz::ScratchEngine scratch{"pitlog-fuzz-http",
                              [this](const commands::BatchStats& s) { metrics.recordBatch(s); }};
  std::unique_ptr<server::http::ApiService> api;
  std::unique_ptr<server::HttpConnections> connections;
  fuzz::Placeholders values;
  std::shared_ptr<AccessRecords> access = std::make_shared<AccessRecords>();

  Harness() {
    // Records are rendered (their escaping is under test too) and dropped.
    server::log::configure("info", server::LogFormat::json);
    auto logger = std::make_shared<spdlog::logger>("pitd", access);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
    start();
  }

  void start() {
    scratch.open();
    seed();

    api = std::make_unique<server::http::ApiService>(scratch.engine(), keys, metrics,
                                                     io.provider->getTimer());
    kj::HttpServerSettings settings;  // pitd's: the defaults with its error handler
    settings.errorHandler = *api;
    connections = std::make_unique<server::HttpConnections>(
        io.provider->getTimer(), api->headerTable(), *api, settings,
        server::ConnectionLimits().writeTimeout);
  }

  // Integrations made through the engine, as pitd's commands would make them.
  void seed() {
    auto run = [&](const std::string& account, commands::Action action) {
      return scratch.seed(account, std::move(action), "fuzz-seed");
    };
    auto a = run("acme", commands::CreateIntegration{"Zapier", "sync", {"contacts.readonly"}});
    auto b = run("acme", commands::CreateIntegration{"Make", "", {"contacts.write"}});
    auto rotated = run("acme", commands::RotateToken{b.integration->id, commands::ExpireMode::later});
    auto g = run("globex", commands::CreateIntegration{"Other", "", {"contacts.readonly"}});
    run("acme", commands::SetPermission{"bob", true});
    values.id = a.integration->id;
    values.id2 = b.integration->id;
    values.other = g.integration->id;
    values.token = *rotated.token;
    values.key = kServiceKey;
  }

  void stop() {
    connections.reset();
    api.reset();
    scratch.close();
  }
};

[[noreturn]] void finding(const char* what, const std::string& response) {
  // The response, not the request: the request may hold $TOKEN's plaintext.
  fuzz::finding("fuzz_http", what, "response head: " + response.substr(0, 400));
}

// Status codes of the responses in `out`, which may hold several (pipelined requests), read one
// after the other by their heads' Content-Length: the text of a body or a header (which may echo
// the request) is never taken for a status line. Stops at the first response it cannot read.
std::vector<int> statusCodes(const std::string& out) {
  auto statusLineAt = [&](size_t at) {
    return at + 12 <= out.size() && out.compare(at, 9, "HTTP/1.1 ") == 0;
  };
  std::vector<int> codes;
  size_t at = 0;
  while (at < out.size()) {
    if (!statusLineAt(at)) break;
    const std::string code = out.substr(at + 9, 3);
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) break;
    const size_t headEnd = out.find("\r\n\r\n", at);
    if (headEnd == std::string::npos) break;
    codes.push_back(std::stoi(code));
    size_t length = 0;
    const std::string head = out.substr(at, headEnd - at);
    if (const size_t h = head.find("\r\nContent-Length: "); h != std::string::npos) {
      length = std::strtoull(head.c_str() + h + 18, nullptr, 10);
    }
    if (length > out.size()) break;  // cut short
    // A response without a body despite its Content-Length (to HEAD) is followed at once by
    // the next one.
    const size_t afterBody = headEnd + 4 + length, afterHead = headEnd + 4;
    at = !statusLineAt(afterBody) && statusLineAt(afterHead) ? afterHead : afterBody;
  }
  return codes;
}

bool containsKey(std::string_view text) { return text.find(kServiceKey) != std::string_view::npos; }

// Whether any form of the service key is in the request's bytes: as it is, behind %-escapes (a
// path, a query, a form body, also across chunks), or inside the base64 of a Basic credential. A request without one
// cannot be authorized, so any success it gets from a closed route is a bypass.
bool carriesKey(const std::string& request) {
  if (containsKey(request)) return true;
  auto uri = kj::decodeUriComponent(kj::arrayPtr(request.data(), request.size()));
  if (containsKey(std::string_view(uri.begin(), uri.size()))) return true;
  auto form = kj::decodeWwwForm(kj::arrayPtr(request.data(), request.size()));
  if (containsKey(std::string_view(form.begin(), form.size()))) return true;
  // Basic credentials (scheme in any case, then spaces or tabs): the key is in the base64 text,
  // as it is or form-encoded (RFC 6749 §2.3.1).
  std::string lowered(request);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t at = 0; (at = lowered.find("basic", at)) != std::string::npos; at += 5) {
    size_t from = at + 5;
    while (from < request.size() && (request[from] == ' ' || request[from] == '\t')) ++from;
    size_t end = request.find_first_of("\r\n", from);
    if (end == std::string::npos) end = request.size();
    std::string_view credential(request.data() + from, end - from);
    while (!credential.empty() && (credential.back() == ' ' || credential.back() == '\t')) {
      credential.remove_suffix(1);
    }
    auto decoded = kj::decodeBase64(kj::arrayPtr(credential.data(), credential.size()));
    std::string_view text(reinterpret_cast<const char*>(decoded.begin()), decoded.size());
    auto formDecoded = kj::decodeWwwForm(kj::arrayPtr(text.data(), text.size()));
    if (containsKey(text) || containsKey(std::string_view(formDecoded.begin(), formDecoded.size()))) {
      return true;
    }
  }
  // A form body's client_secret may be cut by chunked framing: join the chunks and look again.
  std::string joined;
  for (size_t at = 0; at < request.size();) {
    size_t crlf = request.find("\r\n", at);
    if (crlf == std::string::npos) {
      joined.append(request, at, std::string::npos);
      break;
    }
    joined.append(request, at, crlf - at);
    at = crlf + 2;
    size_t size = at;
    while (size < request.size() && std::isxdigit(static_cast<unsigned char>(request[size]))) ++size;
    size_t next = request.find("\r\n", size);
    if (size > at && next != std::string::npos) at = next + 2;  // a chunk-size line
  }
  auto joinedForm = kj::decodeWwwForm(kj::arrayPtr(joined.data(), joined.size()));
  if (containsKey(joined) || containsKey(std::string_view(joinedForm.begin(), joinedForm.size()))) {
    return true;
  }
  return false;
}

// Routes that may succeed without a key: the probes, the console's files, and sign-out (which
// ends whatever session its cookie names, if any). Not /console/signin or /console/session: a
// sign-in code is minted only by the keyed links route and a session only by a code, both drawn
// from the CSPRNG and never in a request's bytes, so a session cookie is a credential the fuzzer
// cannot hold, and a 2xx or 3xx from those routes (or a session-authenticated API route) is a
// bypass like any other.
bool isOpenRoute(const std::string& route) {
  return route == "/healthz" || route == "/metrics" || route == "/console/{file}" ||
         route == "/console/signout";
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::installHarness<Harness>();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return -1;  // not added to the corpus
  Harness& h = fuzz::installHarness<Harness>();
  const std::string request =
      fuzz::decodeInput(std::string_view(reinterpret_cast<const char*>(data), size), h.values);
  if (request.empty()) return 0;
  if (h.scratch.full()) {
    h.stop();
    h.start();
  }
  const uint64_t seqBefore = h.scratch.engine().lastSeq();
  h.access->take();

  auto pipe = kj::newTwoWayPipe();
  kj::Own<kj::AsyncIoStream> client = kj::mv(pipe.ends[0]);
  // The connection ends when the server is done with it, answered or not; its errors (a client
  // that sent garbage) are the server's business, not findings.
  auto serving = h.connections->serve(kj::mv(pipe.ends[1]))
                     .catch_([](kj::Exception&&) {})
                     .eagerlyEvaluate(nullptr);
  // The whole request, then EOF, as a client that sends and waits would; a server that answers
  // early (413) and hangs up makes this fail, which is fine.
  auto bytes = kj::heapString(request.data(), request.size());
  auto writing = client->write(bytes.begin(), bytes.size())
                     .then([&client]() { client->shutdownWrite(); })
                     .catch_([](kj::Exception&&) {})
                     .attach(kj::mv(bytes))
                     .eagerlyEvaluate(nullptr);
  auto reading = client->readAllText(kMaxResponse)
                     .catch_([](kj::Exception&&) { return kj::String(); })
                     .then([](kj::String s) { return kj::Maybe<kj::String>(kj::mv(s)); });
  auto timeout = h.io.provider->getTimer().afterDelay(kDeadline).then(
      []() { return kj::Maybe<kj::String>(nullptr); });
  auto answer = reading.exclusiveJoin(kj::mv(timeout)).wait(h.io.waitScope);

  std::string response;
  KJ_IF_MAYBE(text, answer) {
    response.assign(text->cStr(), text->size());
  } else {
    finding("the connection was neither answered nor closed in time", response);
  }
  serving.wait(h.io.waitScope);
  writing = nullptr;

  const std::vector<int> codes = statusCodes(response);
  if (std::count(codes.begin(), codes.end(), 500) > 0) finding("pitd answered 500", response);
  const bool anySuccess =
      std::any_of(codes.begin(), codes.end(), [](int c) { return c >= 200 && c < 300; });
  if (h.scratch.engine().lastSeq() != seqBefore && !anySuccess) {
    finding("an answer that was not a success appended events", response);
  }
  if (!carriesKey(request)) {
    server::log::flush();
    for (const auto& answer : h.access->take()) {
      if (answer.status >= 200 && answer.status < 400 && !isOpenRoute(answer.route)) {
        finding(("a request without the service key was answered " +
                 std::to_string(answer.status) + " by " + answer.route)
                    .c_str(),
                response);
      }
    }
    if (h.scratch.engine().lastSeq() != seqBefore) {
      finding("a connection without the service key appended events", response);
    }
  }
  return 0;
}
