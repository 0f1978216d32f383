#include "pitctl/http_call.h"

#include <kj/async-io.h>
#include <kj/compat/http.h>
#include <kj/debug.h>
#include <kj/exception.h>

#include <cctype>

namespace pitlog::tools {

HttpReply httpCall(const std::string& baseUrl, const std::string& method, const std::string& target,
                   const std::map<std::string, std::string>& headers, const std::string& body) {
  const std::string scheme = "http://";
  if (baseUrl.rfind(scheme, 0) != 0) {
    throw HttpCallError("--url must start with http:// (got '" + baseUrl + "')");
  }
  std::string hostPort = baseUrl.substr(scheme.size());
  while (!hostPort.empty() && hostPort.back() == '/') hostPort.pop_back();

  HttpReply reply;
  KJ_IF_MAYBE(exception, kj::runCatchingExceptions([&]() {
    auto io = kj::setupAsyncIo();
    kj::HttpHeaderTable table;
    auto address = io.provider->getNetwork().parseAddress(hostPort.c_str(), 80).wait(io.waitScope);
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
