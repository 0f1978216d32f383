#include "cluster/nats_connection.h"

#include <memory>

#include "cluster/commit_codec.h"
#include "cluster/nats_status.h"

namespace pitlog::cluster {

std::string describeNatsFailure(std::string_view what, natsStatus s, jsErrCode jerr) {
  std::string out(what);
  out += ": ";
  out += natsStatus_GetText(s);
  // The client keeps the last error per thread and never clears it: its text belongs to this
  // failure only when its status does.
  natsStatus lastStatus = NATS_OK;
  const char* last = nats_GetLastError(&lastStatus);
  if (lastStatus == s && last != nullptr && *last != '\0') {
    out += " (";
    out += last;
    out += ")";
  }
  if (jerr != 0) out += " [jetstream error " + std::to_string(int(jerr)) + "]";
  return out;
}

void throwNatsError(std::string_view what, natsStatus s, jsErrCode jerr) {
  throw NatsError(describeNatsFailure(what, s, jerr), int(s), int(jerr));
}

namespace {

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};

void check(natsStatus s, std::string_view what) {
  if (s != NATS_OK) throwNatsError(what, s);
}

}  // namespace

NatsConnection::NatsConnection(const ConnectOptions& options)
    : requestTimeout_(options.requestTimeout) {
  if (options.urls.empty()) throw NatsError("no NATS server URL given", int(NATS_INVALID_ARG), 0);
  natsOptions* raw = nullptr;
  check(natsOptions_Create(&raw), "creating NATS options");
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw);

  std::vector<const char*> urls;
  for (const auto& u : options.urls) urls.push_back(u.c_str());
  check(natsOptions_SetServers(opts.get(), urls.data(), int(urls.size())), "NATS server URLs");
  if (!options.name.empty()) check(natsOptions_SetName(opts.get(), options.name.c_str()), "name");
  check(natsOptions_SetTimeout(opts.get(), options.connectTimeout.count()), "connect timeout");
  check(natsOptions_SetAllowReconnect(opts.get(), true), "reconnect");
  check(natsOptions_SetMaxReconnect(opts.get(), -1), "reconnect attempts");  // for ever
  check(natsOptions_SetReconnectWait(opts.get(), options.reconnectWait.count()), "reconnect wait");
  // A server that dies without closing its sockets is noticed after two missed pings.
  check(natsOptions_SetPingInterval(opts.get(), 2000), "ping interval");
  check(natsOptions_SetMaxPingsOut(opts.get(), 2), "pings out");

  natsStatus s = natsConnection_Connect(&conn_, opts.get());
  if (s != NATS_OK) {
    std::string urlList;
    for (const auto& u : options.urls) urlList += (urlList.empty() ? "" : ",") + u;
    throwNatsError("cannot connect to NATS at " + urlList, s);
  }

  jsOptions jsOpts;
  jsOptions_Init(&jsOpts);
  jsOpts.Wait = options.requestTimeout.count();
  s = natsConnection_JetStream(&js_, conn_, &jsOpts);
  if (s != NATS_OK) {
    natsConnection_Destroy(conn_);
    throwNatsError("opening the JetStream context", s);
  }
  if (maxPayload() < 2 * kMaxCommitBytes) {
    const size_t payload = maxPayload();
    jsCtx_Destroy(js_);
    natsConnection_Destroy(conn_);
    throw NatsError("the NATS server's max_payload is " + std::to_string(payload) +
                        " bytes; cluster mode needs at least " +
                        std::to_string(2 * kMaxCommitBytes),
                    int(NATS_MAX_PAYLOAD), 0);
  }
}

NatsConnection::~NatsConnection() {
  jsCtx_Destroy(js_);
  natsConnection_Close(conn_);
  natsConnection_Destroy(conn_);
}

bool NatsConnection::connected() const {
  return natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED;
}

size_t NatsConnection::maxPayload() const { return size_t(natsConnection_GetMaxPayload(conn_)); }

}  // namespace pitlog::cluster
