#include "rpc_harness.h"

#include <kj/debug.h>

#include "events/time_format.h"
#include "server/rpc/rpc_server.h"

namespace pitlog::rpc::testing {

namespace {

// The text as it is, NUL bytes included: a std::string passed as it stands would be cut at its
// first NUL (kj reads it with c_str()).
capnp::Text::Reader txt(const std::string& s) { return capnp::Text::Reader(s.data(), s.size()); }

std::string str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

std::vector<std::string> strs(capnp::List<capnp::Text>::Reader list) {
  std::vector<std::string> out;
  for (auto s : list) out.push_back(str(s));
  return out;
}

void fillActor(schema::Actor::Builder b, const Actor& a) {
  b.setAccountId(txt(a.accountId));
  b.setUserId(txt(a.userId));
  b.setRole(a.role);
}

void fillOptions(schema::Options::Builder b, const Options& o) {
  b.setRequestId(txt(o.requestId));
  if (o.idempotencyKey) b.setIdempotencyKey(txt(*o.idempotencyKey));
  auto m = b.initIfMatch();
  switch (o.ifMatchKind) {
    case Options::IfMatch::none: m.setNone(); break;
    case Options::IfMatch::any: m.setAny(); break;
    case Options::IfMatch::versions: {
      auto list = m.initVersions(o.ifMatch.size());
      for (size_t i = 0; i < o.ifMatch.size(); ++i) list.set(i, o.ifMatch[i]);
      break;
    }
  }
}

void readError(Outcome& out, schema::Error::Reader e) {
  out.code = str(e.getCode());
  out.message = str(e.getMessage());
  out.field = str(e.getField());
  KJ_ASSERT(out.code != "ok" && !out.code.empty(), "an error without a code");
}

Integration readIntegration(schema::Integration::Reader r) {
  Integration v;
  v.id = str(r.getId());
  v.accountId = str(r.getAccountId());
  v.name = str(r.getName());
  v.description = str(r.getDescription());
  v.scopes = strs(r.getScopes());
  v.status = r.getStatus() == schema::Integration::Status::ACTIVE ? "active" : "deleted";
  v.version = r.getVersion();
  v.createdAt = str(r.getCreatedAt());
  v.createdBy = str(r.getCreatedBy());
  v.updatedAt = str(r.getUpdatedAt());
  for (auto t : r.getTokens()) {
    Token token;
    token.tokenId = str(t.getTokenId());
    token.hint = str(t.getHint());
    token.state = t.getState() == schema::TokenInfo::State::CURRENT ? "current" : "previous";
    token.issuedAt = str(t.getIssuedAt());
    if (t.getExpiresAt().isAt()) token.expiresAt = str(t.getExpiresAt().getAt());
    if (t.getLastUsedAt().isAt()) token.lastUsedAt = str(t.getLastUsedAt().getAt());
    v.tokens.push_back(std::move(token));
  }
  if (r.getRotation().isPending()) {
    v.rotationStartedAt = str(r.getRotation().getPending().getStartedAt());
    v.rotationPreviousExpiresAt = str(r.getRotation().getPending().getPreviousExpiresAt());
  }
  return v;
}

IntegrationReply readIntegrationResult(schema::IntegrationResult::Reader r) {
  IntegrationReply out;
  if (r.isError()) {
    readError(out, r.getError());
    return out;
  }
  auto ok = r.getOk();
  out.integration = readIntegration(ok.getIntegration());
  out.hasToken = ok.hasToken() && ok.getToken().size() > 0;
  if (out.hasToken) out.token = Secret(str(ok.getToken()));
  out.replayed = ok.getReplayed();
  return out;
}

Event readEvent(schema::Event::Reader r) {
  Event e;
  e.seq = r.getSeq();
  e.streamId = str(r.getStreamId());
  e.streamVersion = r.getStreamVersion();
  e.eventId = str(r.getEventId());
  e.at = str(r.getAt());
  e.actorAccountId = str(r.getActor().getAccountId());
  e.actorUserId = str(r.getActor().getUserId());
  e.actorRole = str(r.getActor().getRole());
  e.requestId = str(r.getRequestId());
  e.type = str(r.getType());
  e.prevHash = str(r.getPrevHash());
  e.hash = str(r.getHash());
  auto d = r.getData();
  switch (d.which()) {
    case schema::Event::Data::CREATED: {
      auto c = d.getCreated();
      e.name = str(c.getName());
      e.description = str(c.getDescription());
      e.scopes = strs(c.getScopes());
      e.tokenIds = {str(c.getTokenId())};
      e.tokenHint = str(c.getTokenHint());
      break;
    }
    case schema::Event::Data::SCOPES_UPDATED: {
      auto c = d.getScopesUpdated();
      e.name = str(c.getName());
      e.description = str(c.getDescription());
      e.scopes = strs(c.getScopes());
      break;
    }
    case schema::Event::Data::ROTATION_STARTED: {
      auto c = d.getRotationStarted();
      e.tokenIds = {str(c.getTokenId()), str(c.getPreviousTokenId())};
      e.previousExpiresAt = str(c.getPreviousExpiresAt());
      e.expireNow = c.getExpireNow();
      e.tokenHint = str(c.getTokenHint());
      break;
    }
    case schema::Event::Data::ROTATION_CANCELLED: {
      auto c = d.getRotationCancelled();
      e.tokenIds = {str(c.getCancelledTokenId()), str(c.getRestoredTokenId())};
      break;
    }
    case schema::Event::Data::EXPIRED:
      e.tokenIds = {str(d.getExpired().getTokenId())};
      e.reason = str(d.getExpired().getReason());
      e.source = str(d.getExpired().getSource());
      break;
    case schema::Event::Data::DELETED:
      break;
    case schema::Event::Data::PERMISSION_CHANGED:
      e.userId = str(d.getPermissionChanged().getUserId());
      e.allowed = d.getPermissionChanged().getAllowed();
      break;
    case schema::Event::Data::WEBHOOK_SUBSCRIBED:
    case schema::Event::Data::WEBHOOK_REMOVED:
      break;  // the account's audit: no integration test reads their data over RPC yet
  }
  return e;
}

}  // namespace

Actor admin(std::string account, std::string user) {
  return {std::move(account), std::move(user), schema::Actor::Role::ADMIN};
}
Actor user(std::string account, std::string user) {
  return {std::move(account), std::move(user), schema::Actor::Role::USER};
}

const Token* Integration::current() const {
  for (const auto& t : tokens) {
    if (t.state == "current") return &t;
  }
  return nullptr;
}

const Token* Integration::previous() const {
  for (const auto& t : tokens) {
    if (t.state == "previous") return &t;
  }
  return nullptr;
}

Harness::Harness(int64_t rotationWindowMs)
    : dataDir_(dir_.sub("data")),
      clock_(*events::parseRfc3339("2026-11-28T17:00:00.000Z")),
      io_(kj::setupAsyncIo()) {
  commands::EngineOptions options;
  options.dataDir = dataDir_;
  options.sync = false;  // a test's durability is not the point; its speed is
  options.rotationWindowMs = rotationWindowMs;
  options.clock = [this] { return clock_.load(); };
  engine_ = commands::Engine::open(std::move(options));

  listener_ = io_.provider->getNetwork()
                  .parseAddress("127.0.0.1", 0)
                  .wait(io_.waitScope)
                  ->listen();
  port_ = listener_->getPort();
  serving_ = serveRpc(*listener_, *engine_,
                      [](std::string_view key) { return key == kServiceKey; },
                      io_.provider->getTimer())
                 .eagerlyEvaluate([](kj::Exception&& e) {
                   KJ_LOG(ERROR, "serveRpc failed", e);
                 });
  client_ = connect();
  auto login = client_->login(kServiceKey).wait(io_.waitScope);
  KJ_IF_MAYBE(s, login.session) {
    session_ = *s;
  } else {
    KJ_FAIL_ASSERT("the test key was refused", login.error.code, login.error.message);
  }
}

Harness::Harness(int rpcPort, const std::string& serviceKey)
    : clock_(0), io_(kj::setupAsyncIo()), port_(static_cast<uint>(rpcPort)) {
  client_ = connect();
  auto login = client_->login(serviceKey).wait(io_.waitScope);
  KJ_IF_MAYBE(s, login.session) {
    session_ = *s;
  } else {
    KJ_FAIL_ASSERT("the service key was refused", login.error.code, login.error.message);
  }
}

Harness::~Harness() {
  session_ = nullptr;
  client_ = nullptr;
  serving_ = nullptr;
  listener_ = nullptr;
  if (engine_) engine_->stop();
}

void Harness::settle() {
  // The writer takes commands in order: once this no-op is answered, every command queued before
  // it (the scheduler's expiries) is committed.
  commands::Command c;
  c.accountId = "settle";
  c.actor = events::Actor::system();
  c.action = commands::ExpireElapsedWindow{"no-such-integration"};
  auto r = engine_->execute(std::move(c));
  KJ_ASSERT(r.ok(), r.message);
}

kj::Own<RpcClient> Harness::connect() {
  auto address = kj::str("127.0.0.1:", port_);
  return RpcClient::connect(io_.provider->getNetwork(), address).wait(io_.waitScope);
}

Outcome Harness::login(const std::string& key) {
  auto client = connect();
  auto login = client->login(key).wait(io_.waitScope);
  Outcome out;
  KJ_IF_MAYBE(s, login.session) {
    // Prove the session works before calling it ok.
    s->scopesRequest().send().wait(io_.waitScope);
  } else {
    out.code = login.error.code;
    out.message = login.error.message;
    out.field = login.error.field;
  }
  return out;
}

IntegrationReply Harness::create(const Actor& a, const std::string& name,
                                 const std::vector<std::string>& scopes,
                                 const std::string& description, const Options& o) {
  auto req = session_.createRequest();
  fillActor(req.initActor(), a);
  auto opts = req.initOptions();
  opts.setRequestId(txt(o.requestId));
  if (o.idempotencyKey) opts.setIdempotencyKey(txt(*o.idempotencyKey));
  req.setName(txt(name));
  req.setDescription(txt(description));
  auto list = req.initScopes(scopes.size());
  for (size_t i = 0; i < scopes.size(); ++i) list.set(i, txt(scopes[i]));
  auto resp = req.send().wait(io_.waitScope);
  return readIntegrationResult(resp.getResult());
}

ListReply Harness::list(const Actor& a, bool includeDeleted, std::optional<uint32_t> stale) {
  auto req = session_.listRequest();
  fillActor(req.initActor(), a);
  req.setIncludeDeleted(includeDeleted);
  if (stale) req.initStaleAfter().setDays(*stale);
  auto resp = req.send().wait(io_.waitScope);
  ListReply out;
  auto r = resp.getResult();
  if (r.isError()) {
    readError(out, r.getError());
  } else {
    for (auto v : r.getIntegrations()) out.integrations.push_back(readIntegration(v));
  }
  return out;
}

IntegrationReply Harness::get(const Actor& a, const std::string& id, const std::string& asOf) {
  auto req = session_.getRequest();
  fillActor(req.initActor(), a);
  req.setIntegrationId(txt(id));
  req.setAsOf(txt(asOf));
  auto resp = req.send().wait(io_.waitScope);
  return readIntegrationResult(resp.getResult());
}

IntegrationReply Harness::edit(const Actor& a, const std::string& id,
                               std::optional<std::string> name,
                               std::optional<std::string> description,
                               std::optional<std::vector<std::string>> scopes, const Options& o) {
  auto req = session_.editRequest();
  fillActor(req.initActor(), a);
  fillOptions(req.initOptions(), o);
  req.setIntegrationId(txt(id));
  if (name) req.initName().setValue(txt(*name));
  if (description) req.initDescription().setValue(txt(*description));
  if (scopes) {
    auto list = req.initScopes().initValue(scopes->size());
    for (size_t i = 0; i < scopes->size(); ++i) list.set(i, txt((*scopes)[i]));
  }
  auto resp = req.send().wait(io_.waitScope);
  return readIntegrationResult(resp.getResult());
}

IntegrationReply Harness::rotate(const Actor& a, const std::string& id, schema::Expire expire,
                                 const Options& o) {
  auto req = session_.rotateRequest();
  fillActor(req.initActor(), a);
  fillOptions(req.initOptions(), o);
  req.setIntegrationId(txt(id));
  req.setExpire(expire);
  auto resp = req.send().wait(io_.waitScope);
  return readIntegrationResult(resp.getResult());
}

IntegrationReply Harness::cancelRotation(const Actor& a, const std::string& id, const Options& o) {
  auto req = session_.cancelRotationRequest();
  fillActor(req.initActor(), a);
  fillOptions(req.initOptions(), o);
  req.setIntegrationId(txt(id));
  auto resp = req.send().wait(io_.waitScope);
  return readIntegrationResult(resp.getResult());
}

IntegrationReply Harness::expireNow(const Actor& a, const std::string& id, const Options& o) {
  auto req = session_.expireNowRequest();
  fillActor(req.initActor(), a);
  fillOptions(req.initOptions(), o);
  req.setIntegrationId(txt(id));
  auto resp = req.send().wait(io_.waitScope);
  return readIntegrationResult(resp.getResult());
}

DeleteReply Harness::remove(const Actor& a, const std::string& id, const Options& o) {
  auto req = session_.deleteRequest();
  fillActor(req.initActor(), a);
  fillOptions(req.initOptions(), o);
  req.setIntegrationId(txt(id));
  auto resp = req.send().wait(io_.waitScope);
  DeleteReply out;
  auto r = resp.getResult();
  if (r.isError()) {
    readError(out, r.getError());
  } else {
    out.version = r.getOk().getVersion();
    out.replayed = r.getOk().getReplayed();
  }
  return out;
}

EventsReply Harness::events(const Actor& a, const std::string& id) {
  auto req = session_.eventsRequest();
  fillActor(req.initActor(), a);
  req.setIntegrationId(txt(id));
  auto resp = req.send().wait(io_.waitScope);
  EventsReply out;
  auto r = resp.getResult();
  if (r.isError()) {
    readError(out, r.getError());
  } else {
    for (auto e : r.getEvents()) out.events.push_back(readEvent(e));
  }
  return out;
}

EventsReply Harness::audit(const Actor& a, uint64_t after, uint32_t limit,
                           const std::string& since, const std::string& until) {
  auto req = session_.auditRequest();
  fillActor(req.initActor(), a);
  req.setAfter(after);
  req.setLimit(limit);
  req.setSince(txt(since));
  req.setUntil(txt(until));
  auto resp = req.send().wait(io_.waitScope);
  EventsReply out;
  auto r = resp.getResult();
  if (r.isError()) {
    readError(out, r.getError());
  } else {
    for (auto e : r.getOk().getEvents()) out.events.push_back(readEvent(e));
    if (r.getOk().getNext().isAfter()) out.next = r.getOk().getNext().getAfter();
  }
  return out;
}

PermissionReply Harness::getPermission(const Actor& a, const std::string& userId) {
  auto req = session_.getPermissionRequest();
  fillActor(req.initActor(), a);
  req.setUserId(txt(userId));
  auto resp = req.send().wait(io_.waitScope);
  PermissionReply out;
  auto r = resp.getResult();
  if (r.isError()) {
    readError(out, r.getError());
    return out;
  }
  auto p = r.getPermission();
  out.userId = str(p.getUserId());
  switch (p.getSource()) {
    case schema::Permission::Source::DEFAULT: out.source = "default"; break;
    case schema::Permission::Source::GRANT: out.source = "grant"; break;
    case schema::Permission::Source::WITHDRAWAL: out.source = "withdrawal"; break;
  }
  if (p.getAllowed().isValue()) out.allowed = p.getAllowed().getValue();
  out.version = p.getVersion();
  return out;
}

PermissionReply Harness::setPermission(const Actor& a, const std::string& userId, bool allowed,
                                       const Options& o) {
  auto req = session_.setPermissionRequest();
  fillActor(req.initActor(), a);
  fillOptions(req.initOptions(), o);
  req.setUserId(txt(userId));
  req.setAllowed(allowed);
  auto resp = req.send().wait(io_.waitScope);
  PermissionReply out;
  auto r = resp.getResult();
  if (r.isError()) {
    readError(out, r.getError());
    return out;
  }
  out.userId = str(r.getOk().getUserId());
  out.allowed = r.getOk().getAllowed();
  out.version = r.getOk().getVersion();
  out.replayed = r.getOk().getReplayed();
  return out;
}

std::vector<std::string> Harness::scopes() {
  auto resp = session_.scopesRequest().send().wait(io_.waitScope);
  return strs(resp.getScopes());
}

namespace {

Introspection readIntrospection(schema::Introspection::Reader r) {
  Introspection out;
  out.active = r.getActive();
  out.scope = str(r.getScope());
  out.tokenType = str(r.getTokenType());
  out.accountId = str(r.getAccountId());
  out.integrationId = str(r.getIntegrationId());
  out.iat = r.getIat();
  if (r.getExp().isAt()) out.exp = r.getExp().getAt();
  if (r.getAllowed().isValue()) out.allowed = r.getAllowed().getValue();
  out.otherFieldsUnset = !r.hasScope() && !r.hasTokenType() && !r.hasAccountId() &&
                         !r.hasIntegrationId() && r.getIat() == 0 && r.getExp().isNone() &&
                         r.getAllowed().isNotAsked() && !r.hasError();
  return out;
}

}  // namespace

RevokeReply Harness::revoke(const std::vector<std::string>& tokens,
                            std::optional<std::string> source, const std::string& requestId) {
  auto req = session_.revokeRequest();
  req.setRequestId(txt(requestId));
  auto list = req.initTokens(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) list.set(i, txt(tokens[i]));
  if (source) req.initSource().setValue(txt(*source));
  auto resp = req.send().wait(io_.waitScope);
  RevokeReply out;
  auto r = resp.getResult();
  if (r.isError()) {
    readError(out, r.getError());
    return out;
  }
  out.received = r.getReceived();
  return out;
}

Introspection Harness::introspect(const Secret& token, std::optional<std::string> requiredScope) {
  auto req = session_.introspectRequest();
  req.setToken(txt(token.reveal()));
  if (requiredScope) req.initRequiredScope().setValue(txt(*requiredScope));
  auto resp = req.send().wait(io_.waitScope);
  return readIntrospection(resp.getResult());
}

Introspection Harness::introspect(const std::string& notAToken) {
  return introspect(Secret(notAToken));
}

}  // namespace pitlog::rpc::testing
