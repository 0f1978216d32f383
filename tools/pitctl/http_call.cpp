#include "pitctl/http_call.h"

#include <kj/async-io.h>
#include <kj/compat/http.h>
#include <kj/compat/tls.h>
#include <kj/debug.h>
#include <kj/exception.h>

#include <cctype>
#include <fstream>
#include <iterator>

namespace pitlog::tools {

namespace {

// A client context trusting the system's store plus the certificates of caFile.
kj::Own<kj::TlsContext> clientTls(const std::string& caFile) {
  kj::TlsContext::Options options;
  options.minVersion = kj::max(kj::TlsVersion::TLS_1_2, options.minVersion);
  kj::Maybe<kj::TlsCertificate> trusted;
  if (!caFile.empty()) {
    std::ifstream in(caFile, std::ios::binary);
    if (!in) throw HttpCallError("--tls-ca: cannot read '" + caFile + "'");
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
                  trusted = kj::TlsCertificate(kj::StringPtr(pem.c_str(), pem.size()));
                })) {
      throw HttpCallError("--tls-ca: '" + caFile + "' holds no PEM certificate");
    }
    options.trustedCertificates = kj::arrayPtr(&KJ_ASSERT_NONNULL(trusted), 1);
  }
  // The context takes its own references to the trusted certificates.
  return kj::heap<kj::TlsContext>(kj::mv(options));
}

}  // namespace

HttpReply httpCall(const std::string& baseUrl, const std::string& method, const std::string& target,
                   const std::map<std::string, std::string>& headers, const std::string& body,
                   const std::string& caFile) {
  const bool https = baseUrl.rfind("https://", 0) == 0;
  if (!https && baseUrl.rfind("http://", 0) != 0) {
    throw HttpCallError("--url must start with http:// or https:// (got '" + baseUrl + "')");
  }
  std::string hostPort = baseUrl.substr(https ? 8 : 7);
  while (!hostPort.empty() && hostPort.back() == '/') hostPort.pop_back();
  kj::Own<kj::TlsContext> tls;
  if (https) tls = clientTls(caFile);

  HttpReply reply;
  KJ_IF_MAYBE(exception, kj::runCatchingExceptions([&]() {
    auto io = kj::setupAsyncIo();
    kj::HttpHeaderTable table;
    // Over https every connection is wrapped, and the certificate must name the URL's host.
    kj::Own<kj::Network> tlsNetwork;
    if (tls) tlsNetwork = tls->wrapNetwork(io.provider->getNetwork());
    kj::Network& network = tls ? *tlsNetwork : io.provider->getNetwork();
    auto address = network.parseAddress(hostPort.c_str(), https ? 443 : 80).wait(io.waitScope);
    auto timer = &io.provider->getTimer();
    auto client = kj::newHttpClient(*timer, table, *address);
    kj::HttpHeaders requestHeaders(table);
    for (const auto& [name, value] : headers) requestHeaders.add(name, value);
    auto parsedMethod = kj::tryParseHttpMethod(method.c_str());
    KJ_REQUIRE(parsedMethod != nullptr, "unknown HTTP method", method);
    kj::HttpMethod m = KJ_ASSERT_NONNULL(parsedMethod);
    kj::Maybe<uint64_t> length = body.size();
    if (body.empty() && (m == kj::HttpMethod::GET || m == kj::HttpMethod::DELETE)) length = nullptr;
    auto request = client->request(m, kj::StringPtr(target.c_str()), requestHeaders, length);
    auto sent = body.empty() ? kj::Promise<void>(kj::READY_NOW)
                             : request.body->write(body.data(), body.size())
                                   .attach(kj::mv(request.body));
    if (body.empty()) request.body = nullptr;
    sent.wait(io.waitScope);
    auto response = request.response.wait(io.waitScope);
    reply.status = response.statusCode;
    response.headers->forEach([&](kj::StringPtr name, kj::StringPtr value) {
      std::string key(name.cStr());
      for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[key] = value.cStr();
    });
    auto text = response.body->readAllText().wait(io.waitScope);
    reply.body.assign(text.cStr(), text.size());
  })) {
    throw HttpCallError("cannot reach " + baseUrl + ": " +
                        std::string(exception->getDescription().cStr()));
  }
  return reply;
}

}  // namespace pitlog::tools
