#include "pitctl/pitctl.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <kj/encoding.h>
#include <kj/exception.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "pitctl/http_call.h"

namespace pitlog::tools {
namespace po = boost::program_options;
namespace {

using JsonReader = capnp::JsonValue::Reader;

constexpr char kUsage[] = R"(usage: pitctl [options] COMMAND [ARGS]

Commands (one per route of the API):
  scopes                                   the scope catalogue
  create --name N [--description D] --scope S [--scope S ...]
  list [--include-deleted] [--stale-after-days N] [--unused-for-days N]
                                           LAST USED: the current token's last introspection
  get ID [--as-of TIME]
  edit ID [--name N] [--description D] [--scope S ...]
  rotate ID --expire later|now
  cancel-rotation ID
  expire-now ID
  delete ID
  events ID                                an integration's whole history
  audit [--after SEQ] [--limit N] [--since TIME] [--until TIME]
  permission get USER
  permission set USER --allowed true|false
  introspect TOKEN|- [--scope S]            '-' reads the token from standard input
  revoke TOKEN...|- [--source S]           revoke by value, any account's token (RFC 7009);
                                           '-' reads one token a line from standard input;
                                           the answer never says whether a token existed
  webhooks add ID --target URL --event TYPE [--event TYPE ...]
                                           create or replace a webhook subscription; its
                                           signing secret (whsec_...) is printed once, on
                                           creation
  webhooks list
  webhooks remove ID
  webhooks deliveries ID                   its last 100 delivery attempts
  console                                  a sign-in link to the admin console for the
                                           actor (--account, --user, --role): open it in a
                                           browser within 2 minutes; it works once

Examples:
  export PITLOG_URL=http://127.0.0.1:8080 PITLOG_KEY_FILE=data/service.key
  export PITLOG_ACCOUNT=acme PITLOG_USER=alice PITLOG_ROLE=admin
  pitctl create --name "Zapier sync" --scope contacts.readonly --scope contacts.write
  pitctl rotate int_0123abcd --expire later
  pitctl --json list | jq '.integrations[].id'
  echo "$TOKEN" | pitctl introspect - --scope contacts.write
  pitctl revoke - --source "https://example.com/leak" < leaked-tokens.txt
  pitctl webhooks add ops --target https://hooks.example.com/pitlog --event token.rotated \
      --event rotation.window_ending
  pitctl --url https://localhost:8443 --tls-ca /etc/pitlog/tls/cert.pem scopes

Options)";

struct Options {
  std::string url, keyFile, account, user, role, requestId, ifMatch, idempotencyKey, tlsCa;
  bool json = false;
  std::string command;
  std::vector<std::string> args;
  // command options
  std::optional<std::string> name, description, expire, asOf, since, until, allowed, scope1;
  std::vector<std::string> scopes;
  std::optional<uint64_t> after, limit, staleAfterDays, unusedForDays;
  std::optional<std::string> source, webhookUrl;
  std::vector<std::string> webhookEvents;
  bool includeDeleted = false;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ApiError {
  int status;
  std::string code, message, field;
};

// --- JSON through Cap'n Proto's codec (no hand-written JSON) ---------------------------------

struct ParsedJson {
  capnp::MallocMessageBuilder message;
  JsonReader root() { return message.getRoot<capnp::JsonValue>().asReader(); }
};

std::unique_ptr<ParsedJson> parseJson(const std::string& text) {
  auto parsed = std::make_unique<ParsedJson>();
  capnp::JsonCodec codec;
  codec.decodeRaw(kj::arrayPtr(text.data(), text.size()), parsed->message.initRoot<capnp::JsonValue>());
  return parsed;
}

std::optional<JsonReader> field(JsonReader object, const char* name) {
  if (!object.isObject()) return std::nullopt;
  for (auto f : object.getObject()) {
    if (f.getName() == name) return f.getValue();
  }
  return std::nullopt;
}

std::string text(std::optional<JsonReader> v) {
  if (!v) return "";
  switch (v->which()) {
    case capnp::JsonValue::STRING: return v->getString().cStr();
    case capnp::JsonValue::NUMBER: {
      std::ostringstream s;
      s << std::setprecision(15) << v->getNumber();
      return s.str();
    }
    case capnp::JsonValue::BOOLEAN: return v->getBoolean() ? "true" : "false";
    case capnp::JsonValue::NULL_: return "-";
    default: {
      capnp::JsonCodec codec;
      return codec.encodeRaw(*v).cStr();
    }
  }
}

std::string joined(std::optional<JsonReader> array, const char* sep = " ") {
  if (!array || !array->isArray()) return "";
  std::string out;
  for (auto item : array->getArray()) {
    if (!out.empty()) out += sep;
    out += text(item);
  }
  return out;
}

// Builds a request body as a JsonValue object, then encodes it with the codec.
class BodyBuilder {
 public:
  void str(const std::string& name, const std::string& value) { fields_.push_back({name, value, {}, Kind::string}); }
  void boolean(const std::string& name, bool value) { fields_.push_back({name, value ? "1" : "", {}, Kind::boolean}); }
  void list(const std::string& name, const std::vector<std::string>& values) { fields_.push_back({name, "", values, Kind::list}); }
  std::string encode() const {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<capnp::JsonValue>();
    auto object = root.initObject(static_cast<unsigned>(fields_.size()));
    for (unsigned i = 0; i < fields_.size(); ++i) {
      const auto& f = fields_[i];
      object[i].setName(f.name);
      auto v = object[i].initValue();
      switch (f.kind) {
        case Kind::string: v.setString(f.value); break;
        case Kind::boolean: v.setBoolean(!f.value.empty()); break;
        case Kind::list: {
          auto items = v.initArray(static_cast<unsigned>(f.values.size()));
          for (unsigned k = 0; k < f.values.size(); ++k) items[k].setString(f.values[k]);
          break;
        }
      }
    }
    capnp::JsonCodec codec;
    return codec.encodeRaw(root.asReader()).cStr();
  }

 private:
  enum class Kind { string, boolean, list };
  struct Field {
    std::string name, value;
    std::vector<std::string> values;
    Kind kind;
  };
  std::vector<Field> fields_;
};

std::string uriComponent(const std::string& s) {
  return kj::encodeUriComponent(kj::arrayPtr(s.data(), s.size())).cStr();
}

// --- The client ------------------------------------------------------------------------------

class Client {
 public:
  Client(const Options& o, std::ostream& out) : o_(o), out_(out) {}

  // Sends one request; returns the parsed reply body (null for 204), or throws ApiError.
  std::unique_ptr<ParsedJson> call(const std::string& method, const std::string& path,
                                   const std::string& body = {}, bool accountRoute = true) {
    std::map<std::string, std::string> headers;
    headers["Authorization"] = "Bearer " + serviceKey();
    if (accountRoute) {
      headers["X-Actor-User"] = require(o_.user, "--user (or PITLOG_USER)");
      headers["X-Actor-Role"] = require(o_.role, "--role (or PITLOG_ROLE)");
    }
    if (!body.empty()) headers["Content-Type"] = "application/json";
    if (!o_.requestId.empty()) headers["X-Request-Id"] = o_.requestId;
    if (!o_.ifMatch.empty()) headers["If-Match"] = "\"" + o_.ifMatch + "\"";
    if (!o_.idempotencyKey.empty()) headers["Idempotency-Key"] = o_.idempotencyKey;
    lastReply_ = httpCall(o_.url, method, path, headers, body, o_.tlsCa);
    if (lastReply_.status >= 200 && lastReply_.status < 300) {
      if (lastReply_.status == 204 || lastReply_.body.empty()) return nullptr;
      return parseJson(lastReply_.body);
    }
    ApiError e{lastReply_.status, "", "pitd answered HTTP " + std::to_string(lastReply_.status), ""};
    KJ_IF_MAYBE(ignored, kj::runCatchingExceptions([&]() {
      auto parsed = parseJson(lastReply_.body);
      auto error = field(parsed->root(), "error");
      if (error) {
        e.code = text(field(*error, "code"));
        e.message = text(field(*error, "message"));
        e.field = text(field(*error, "field"));
      }
    })) {
      (void)ignored;
    }
    throw e;
  }

  std::string accountPath() const {
    return "/v1/accounts/" + uriComponent(require(o_.account, "--account (or PITLOG_ACCOUNT)"));
  }
  const HttpReply& lastReply() const { return lastReply_; }

  static const std::string& require(const std::string& value, const char* what) {
    if (value.empty()) throw UsageError(std::string("missing ") + what);
    return value;
  }

 private:
  std::string serviceKey() const {
    if (const char* env = std::getenv("PITLOG_SERVICE_KEY"); env && *env) return env;
    std::ifstream in(require(o_.keyFile, "--key-file (or PITLOG_KEY_FILE, or PITLOG_SERVICE_KEY)"));
    std::string key;
    if (!in || !std::getline(in, key) || key.empty()) {
      throw UsageError("cannot read a service key from " + o_.keyFile);
    }
    while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
    return key;
  }

  const Options& o_;
  std::ostream& out_;
  HttpReply lastReply_;
};

// --- Rendering for people ---------------------------------------------------------------------

void printIntegration(std::ostream& out, JsonReader v) {
  out << "id:          " << text(field(v, "id")) << "\n"
      << "name:        " << text(field(v, "name")) << "\n"
      << "description: " << text(field(v, "description")) << "\n"
      << "scopes:      " << joined(field(v, "scopes")) << "\n"
      << "status:      " << text(field(v, "status")) << "   version " << text(field(v, "version"))
      << "\n"
      << "created:     " << text(field(v, "createdAt")) << " by " << text(field(v, "createdBy"))
      << "\n"
      << "updated:     " << text(field(v, "updatedAt")) << "\n";
  if (auto tokens = field(v, "tokens"); tokens && tokens->isArray()) {
    for (auto t : tokens->getArray()) {
      out << "token:       " << text(field(t, "hint")) << "  " << text(field(t, "state"))
          << "  id " << text(field(t, "tokenId")) << "  issued " << text(field(t, "issuedAt"));
      auto expires = field(t, "expiresAt");
      if (expires && !expires->isNull()) out << "  expires " << text(expires);
      auto used = field(t, "lastUsedAt");
      out << "  last used " << (used && !used->isNull() ? text(used) : std::string("never"));
      out << "\n";
    }
  }
  auto rotation = field(v, "rotation");
  if (rotation && !rotation->isNull()) {
    out << "rotation:    started " << text(field(*rotation, "startedAt"))
        << ", previous token expires " << text(field(*rotation, "previousExpiresAt")) << "\n";
  }
}

void printToken(std::ostream& out, std::optional<JsonReader> token) {
  if (!token || token->isNull()) {
    out << "\nNo token in this answer (an idempotent replay never shows it again; rotate to get a "
           "new one).\n";
    return;
  }
  out << "\nToken (shown ONCE: store it now in the app's secret store; it cannot be shown again):\n"
      << "  " << text(token) << "\n";
}

void printTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) out << std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << "\n";
  }
}

std::string eventSummary(JsonReader e) {
  std::string type = text(field(e, "type"));
  auto data = field(e, "data");
  std::string summary;
  if (data) {
    capnp::JsonCodec codec;
    summary = codec.encodeRaw(*data).cStr();
  }
  return summary;
}

void printEvents(std::ostream& out, std::optional<JsonReader> events) {
  std::vector<std::vector<std::string>> rows = {{"SEQ", "AT", "TYPE", "STREAM", "ACTOR", "DATA"}};
  if (events && events->isArray()) {
    for (auto e : events->getArray()) {
      auto actor = field(e, "actor");
      std::string who = actor ? text(field(*actor, "userId")) + "(" + text(field(*actor, "role")) + ")" : "";
      rows.push_back({text(field(e, "seq")), text(field(e, "at")), text(field(e, "type")),
                      text(field(e, "streamId")), who, eventSummary(e)});
    }
  }
  printTable(out, rows);
}

// --- Subcommands ------------------------------------------------------------------------------

using Handler = std::function<void(Client&, const Options&, std::ostream&)>;

std::string positional(const Options& o, size_t i, const char* what) {
  if (o.args.size() <= i) throw UsageError(std::string("missing ") + what);
  return o.args[i];
}

void emit(std::ostream& out, const Options& o, Client& c, std::unique_ptr<ParsedJson>& reply,
          const std::function<void(JsonReader)>& human) {
  if (o.json) {
    out << c.lastReply().body << (c.lastReply().body.empty() ? "" : "\n");
  } else if (reply) {
    human(reply->root());
  }
}

const std::map<std::string, Handler>& handlers() {
  static const std::map<std::string, Handler> kHandlers = {
      {"scopes",
       [](Client& c, const Options& o, std::ostream& out) {
         auto r = c.call("GET", "/v1/scopes", {}, false);
         emit(out, o, c, r, [&](JsonReader v) {
           if (auto s = field(v, "scopes"); s && s->isArray())
             for (auto item : s->getArray()) out << text(item) << "\n";
         });
       }},
      {"create",
       [](Client& c, const Options& o, std::ostream& out) {
         BodyBuilder b;
         b.str("name", Client::require(o.name.value_or(""), "--name"));
         if (o.description) b.str("description", *o.description);
         if (o.scopes.empty()) throw UsageError("missing --scope (at least one)");
         b.list("scopes", o.scopes);
         auto r = c.call("POST", c.accountPath() + "/integrations", b.encode());
         emit(out, o, c, r, [&](JsonReader v) {
           if (auto i = field(v, "integration")) printIntegration(out, *i);
           printToken(out, field(v, "token"));
         });
       }},
      {"list",
       [](Client& c, const Options& o, std::ostream& out) {
         std::string query;
         if (o.includeDeleted) query += "&includeDeleted=true";
         if (o.staleAfterDays) query += "&staleAfterDays=" + std::to_string(*o.staleAfterDays);
         if (o.unusedForDays) query += "&unusedForDays=" + std::to_string(*o.unusedForDays);
         if (!query.empty()) query[0] = '?';
         auto r = c.call("GET", c.accountPath() + "/integrations" + query);
         emit(out, o, c, r, [&](JsonReader v) {
           std::vector<std::vector<std::string>> rows = {
               {"ID", "NAME", "STATUS", "VERSION", "TOKEN", "ISSUED", "LAST USED", "ROTATION",
                "SCOPES"}};
           if (auto list = field(v, "integrations"); list && list->isArray()) {
             for (auto i : list->getArray()) {
               std::string hint = "-", issued = "-", used = "-";  // "-": no valid token (revoked)
               if (auto tokens = field(i, "tokens"); tokens && tokens->isArray()) {
                 for (auto t : tokens->getArray()) {
                   if (text(field(t, "state")) == "current") {
                     hint = text(field(t, "hint"));
                     issued = text(field(t, "issuedAt"));
                     auto last = field(t, "lastUsedAt");
                     used = last && !last->isNull() ? text(last) : "never";
                   }
                 }
               }
               auto rotation = field(i, "rotation");
               rows.push_back({text(field(i, "id")), text(field(i, "name")), text(field(i, "status")),
                               text(field(i, "version")), hint, issued, used,
                               rotation && !rotation->isNull() ? "pending" : "-",
                               joined(field(i, "scopes"), ",")});
             }
           }
           printTable(out, rows);
         });
       }},
      {"get",
       [](Client& c, const Options& o, std::ostream& out) {
         std::string path = c.accountPath() + "/integrations/" + uriComponent(positional(o, 0, "integration id"));
         if (o.asOf) path += "?asOf=" + uriComponent(*o.asOf);
         auto r = c.call("GET", path);
         emit(out, o, c, r, [&](JsonReader v) {
           if (auto i = field(v, "integration")) printIntegration(out, *i);
         });
       }},
      {"edit",
       [](Client& c, const Options& o, std::ostream& out) {
         BodyBuilder b;
         if (o.name) b.str("name", *o.name);
         if (o.description) b.str("description", *o.description);
         if (!o.scopes.empty()) b.list("scopes", o.scopes);
         if (!o.name && !o.description && o.scopes.empty()) {
           throw UsageError("edit needs at least one of --name, --description, --scope");
         }
         auto r = c.call("PATCH", c.accountPath() + "/integrations/" + uriComponent(positional(o, 0, "integration id")), b.encode());
         emit(out, o, c, r, [&](JsonReader v) {
           if (auto i = field(v, "integration")) printIntegration(out, *i);
         });
       }},
      {"rotate",
       [](Client& c, const Options& o, std::ostream& out) {
         std::string expire = Client::require(o.expire.value_or(""), "--expire later|now");
         if (expire != "later" && expire != "now") throw UsageError("--expire must be later or now");
         BodyBuilder b;
         b.str("expire", expire);
         auto r = c.call("POST", c.accountPath() + "/integrations/" + uriComponent(positional(o, 0, "integration id")) + "/rotate", b.encode());
         emit(out, o, c, r, [&](JsonReader v) {
           if (auto i = field(v, "integration")) printIntegration(out, *i);
           printToken(out, field(v, "token"));
         });
       }},
      {"cancel-rotation",
       [](Client& c, const Options& o, std::ostream& out) {
         auto r = c.call("POST", c.accountPath() + "/integrations/" + uriComponent(positional(o, 0, "integration id")) + "/rotation/cancel");
         emit(out, o, c, r, [&](JsonReader v) {
           if (auto i = field(v, "integration")) printIntegration(out, *i);
         });
       }},
      {"expire-now",
       [](Client& c, const Options& o, std::ostream& out) {
         auto r = c.call("POST", c.accountPath() + "/integrations/" + uriComponent(positional(o, 0, "integration id")) + "/rotation/expire-now");
         emit(out, o, c, r, [&](JsonReader v) {
           if (auto i = field(v, "integration")) printIntegration(out, *i);
         });
       }},
      {"delete",
       [](Client& c, const Options& o, std::ostream& out) {
         std::string id = positional(o, 0, "integration id");
         c.call("DELETE", c.accountPath() + "/integrations/" + uriComponent(id));
         if (!o.json) out << "deleted " << id << " (its history stays in the log)\n";
       }},
      {"events",
       [](Client& c, const Options& o, std::ostream& out) {
         auto r = c.call("GET", c.accountPath() + "/integrations/" + uriComponent(positional(o, 0, "integration id")) + "/events");
         emit(out, o, c, r, [&](JsonReader v) { printEvents(out, field(v, "events")); });
       }},
      {"audit",
       [](Client& c, const Options& o, std::ostream& out) {
         std::string query;
         if (o.after) query += "&after=" + std::to_string(*o.after);
         if (o.limit) query += "&limit=" + std::to_string(*o.limit);
         if (o.since) query += "&since=" + uriComponent(*o.since);
         if (o.until) query += "&until=" + uriComponent(*o.until);
         if (!query.empty()) query[0] = '?';
         auto r = c.call("GET", c.accountPath() + "/audit" + query);
         emit(out, o, c, r, [&](JsonReader v) {
           printEvents(out, field(v, "events"));
           auto next = field(v, "next");
           if (next && !next->isNull()) out << "(more: --after " << text(next) << ")\n";
         });
       }},
      {"permission",
       [](Client& c, const Options& o, std::ostream& out) {
         std::string verb = positional(o, 0, "get or set");
         std::string path = c.accountPath() + "/users/" + uriComponent(positional(o, 1, "user id")) + "/permission";
         std::unique_ptr<ParsedJson> r;
         if (verb == "get") {
           r = c.call("GET", path);
         } else if (verb == "set") {
           std::string allowed = Client::require(o.allowed.value_or(""), "--allowed true|false");
           if (allowed != "true" && allowed != "false") throw UsageError("--allowed must be true or false");
           BodyBuilder b;
           b.boolean("allowed", allowed == "true");
           r = c.call("PUT", path, b.encode());
         } else {
           throw UsageError("permission takes get or set");
         }
         emit(out, o, c, r, [&](JsonReader v) {
           out << "user:    " << text(field(v, "userId")) << "\nallowed: " << text(field(v, "allowed")) << "\n";
           if (auto source = field(v, "source")) out << "source:  " << text(source) << "\n";
         });
       }},
      {"console",
       [](Client& c, const Options& o, std::ostream& out) {
         auto r = c.call("POST", c.accountPath() + "/console/links");
         emit(out, o, c, r, [&](JsonReader v) {
           std::string base = o.url;
           while (!base.empty() && base.back() == '/') base.pop_back();
           out << base << text(field(v, "url")) << "\n";
           out << "(open it in a browser before " << text(field(v, "expiresAt"))
               << "; it signs in once)\n";
         });
       }},
      {"revoke",
       [](Client& c, const Options& o, std::ostream& out) {
         std::vector<std::string> tokens;
         if (o.args.size() == 1 && o.args[0] == "-") {
           for (std::string line; std::getline(std::cin, line);) {
             while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
             if (!line.empty()) tokens.push_back(line);
           }
         } else {
           tokens = o.args;
         }
         if (tokens.empty()) throw UsageError("missing token(s) (or - for standard input)");
         BodyBuilder b;
         if (o.source) b.str("source", *o.source);
         std::unique_ptr<ParsedJson> r;
         if (tokens.size() == 1) {
           b.str("token", tokens[0]);
           r = c.call("POST", "/v1/revoke", b.encode(), false);
         } else {
           b.list("tokens", tokens);
           r = c.call("POST", "/v1/revoke/batch", b.encode(), false);
         }
         emit(out, o, c, r, [&](JsonReader) {
           out << "revoked " << tokens.size() << (tokens.size() == 1 ? " token" : " tokens")
               << " (each that was valid is now expired; pitd never says which were)\n";
         });
       }},
      {"webhooks",
       [](Client& c, const Options& o, std::ostream& out) {
         const std::string verb = positional(o, 0, "add, list, remove or deliveries");
         const std::string base = c.accountPath() + "/webhooks";
         std::unique_ptr<ParsedJson> r;
         if (verb == "list") {
           r = c.call("GET", base);
           emit(out, o, c, r, [&](JsonReader v) {
             std::vector<std::vector<std::string>> rows = {{"ID", "URL", "EVENTS", "VERSION"}};
             if (auto list = field(v, "webhooks"); list && list->isArray()) {
               for (auto w : list->getArray()) {
                 rows.push_back({text(field(w, "id")), text(field(w, "url")),
                                 joined(field(w, "events"), ","), text(field(w, "version"))});
               }
             }
             printTable(out, rows);
           });
           return;
         }
         const std::string path = base + "/" + uriComponent(positional(o, 1, "webhook id"));
         if (verb == "add") {
           BodyBuilder b;
           b.str("url", Client::require(o.webhookUrl.value_or(""), "--target URL"));
           if (o.webhookEvents.empty()) throw UsageError("missing --event (at least one)");
           b.list("events", o.webhookEvents);
           r = c.call("PUT", path, b.encode());
           emit(out, o, c, r, [&](JsonReader v) {
             if (auto w = field(v, "webhook")) {
               out << "id:      " << text(field(*w, "id")) << "\nurl:     " << text(field(*w, "url"))
                   << "\nevents:  " << joined(field(*w, "events"), ", ") << "\n";
             }
             if (auto secret = field(v, "secret")) {
               out << "secret:  " << text(secret)
                   << "\n(shown once: store it now; pitd keeps only the key it is derived from)\n";
             }
           });
         } else if (verb == "remove") {
           c.call("DELETE", path);
           if (!o.json) out << "removed webhook " << o.args[1] << "\n";
         } else if (verb == "deliveries") {
           r = c.call("GET", path + "/deliveries");
           emit(out, o, c, r, [&](JsonReader v) {
             out << "state: " << text(field(v, "state")) << " (" << text(field(v, "message")) << ")\n";
             std::vector<std::vector<std::string>> rows = {
                 {"AT", "TYPE", "WEBHOOK-ID", "SEQ", "OUTCOME", "NEXT RETRY"}};
             if (auto list = field(v, "deliveries"); list && list->isArray()) {
               for (auto d : list->getArray()) {
                 auto status = field(d, "status");
                 auto next = field(d, "nextRetryAt");
                 std::string outcome = status && !status->isNull() ? text(status) : text(field(d, "error"));
                 if (auto gaveUp = field(d, "gaveUp"); gaveUp && gaveUp->isBoolean() && gaveUp->getBoolean()) {
                   outcome += " (given up)";
                 }
                 rows.push_back({text(field(d, "at")), text(field(d, "type")),
                                 text(field(d, "webhookId")), text(field(d, "seq")), outcome,
                                 next && !next->isNull() ? text(next) : "-"});
               }
             }
             printTable(out, rows);
           });
         } else {
           throw UsageError("webhooks takes add, list, remove or deliveries");
         }
       }},
      {"introspect",
       [](Client& c, const Options& o, std::ostream& out) {
         std::string token = positional(o, 0, "token (or - for standard input)");
         if (token == "-") {
           std::getline(std::cin, token);
           while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
         }
         BodyBuilder b;
         b.str("token", token);
         if (o.scope1) b.str("requiredScope", *o.scope1);
         auto r = c.call("POST", "/v1/introspect", b.encode(), false);
         emit(out, o, c, r, [&](JsonReader v) {
           for (auto f : v.getObject()) out << f.getName().cStr() << ": " << text(f.getValue()) << "\n";
         });
       }},
  };
  return kHandlers;
}

}  // namespace

int runPitctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Options o;
  po::options_description common("Connection and identity");
  common.add_options()
      ("help,h", "show this help")
      ("config", po::value<std::string>(), "config file of `name = value` lines (same names as the flags)")
      ("url", po::value(&o.url)->default_value("http://127.0.0.1:8080"), "pitd's HTTP address; https://HOST:PORT when pitd serves TLS")
      ("tls-ca", po::value(&o.tlsCa), "PEM certificate(s) to trust for https:// besides the system's, e.g. pitd's self-signed cert.pem")
      ("key-file", po::value(&o.keyFile), "file whose first line is the service key (or env PITLOG_SERVICE_KEY)")
      ("account", po::value(&o.account), "account id")
      ("user", po::value(&o.user), "signed-in user on whose behalf to act")
      ("role", po::value(&o.role), "that user's role: admin or user")
      ("json", po::bool_switch(&o.json), "print the API's JSON as is (for scripts)")
      ("request-id", po::value(&o.requestId), "X-Request-Id to send")
      ("if-match", po::value(&o.ifMatch), "only if the integration is at this version")
      ("idempotency-key", po::value(&o.idempotencyKey), "Idempotency-Key to send");
  po::options_description command("Command options");
  command.add_options()
      ("name", po::value<std::string>(), "integration name")
      ("description", po::value<std::string>(), "integration description")
      ("scope", po::value<std::vector<std::string>>(), "a scope (repeat for several); for introspect, the scope required")
      ("expire", po::value<std::string>(), "rotate: later or now")
      ("as-of", po::value<std::string>(), "get: the view as it was at this RFC 3339 time")
      ("include-deleted", po::bool_switch(&o.includeDeleted), "list: deleted integrations too")
      ("stale-after-days", po::value<uint64_t>(), "list: only those whose current token is older")
      ("unused-for-days", po::value<uint64_t>(), "list: only those none of whose valid tokens was used for N days (never used: since issued)")
      ("source", po::value<std::string>(), "revoke: where the token(s) were found (up to 500 characters)")
      ("after", po::value<uint64_t>(), "audit: the page after this sequence")
      ("limit", po::value<uint64_t>(), "audit: page size, 1-1000")
      ("since", po::value<std::string>(), "audit: from this time")
      ("until", po::value<std::string>(), "audit: up to this time")
      ("allowed", po::value<std::string>(), "permission set: true or false")
      ("target", po::value<std::string>(), "webhooks add: the receiver's URL (https)")
      ("event", po::value<std::vector<std::string>>(), "webhooks add: an event type (repeat for several)");
  po::options_description hidden;
  hidden.add_options()("command", po::value(&o.command))("args", po::value(&o.args));
  po::positional_options_description positionalSpec;
  positionalSpec.add("command", 1).add("args", -1);
  po::options_description all;
  all.add(common).add(command).add(hidden);

  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(positionalSpec).run(), vm);
    po::store(po::parse_environment(common, [&](const std::string& env) -> std::string {
                if (env.rfind("PITLOG_", 0) != 0 || env == "PITLOG_SERVICE_KEY") return "";
                std::string name = env.substr(7);
                for (auto& ch : name) ch = ch == '_' ? '-' : static_cast<char>(std::tolower(ch));
                return common.find_nothrow(name, false) ? name : "";
              }),
              vm);
    if (vm.count("config")) {
      std::ifstream file(vm["config"].as<std::string>());
      if (!file) throw UsageError("cannot read config file " + vm["config"].as<std::string>());
      po::store(po::parse_config_file(file, common, true), vm);
    }
    po::notify(vm);
    if (vm.count("help") || o.command.empty()) {
      (vm.count("help") ? out : err) << kUsage << "\n" << common << "\n" << command;
      return vm.count("help") ? 0 : 2;
    }
    auto str = [&](const char* name) -> std::optional<std::string> {
      if (!vm.count(name)) return std::nullopt;
      return vm[name].as<std::string>();
    };
    auto num = [&](const char* name) -> std::optional<uint64_t> {
      if (!vm.count(name)) return std::nullopt;
      return vm[name].as<uint64_t>();
    };
    o.name = str("name");
    o.description = str("description");
    o.expire = str("expire");
    o.asOf = str("as-of");
    o.since = str("since");
    o.until = str("until");
    o.allowed = str("allowed");
    if (vm.count("scope")) o.scopes = vm["scope"].as<std::vector<std::string>>();
    if (!o.scopes.empty()) o.scope1 = o.scopes.front();
    o.after = num("after");
    o.limit = num("limit");
    o.staleAfterDays = num("stale-after-days");
    o.unusedForDays = num("unused-for-days");
    o.source = str("source");
    o.webhookUrl = str("target");
    if (vm.count("event")) o.webhookEvents = vm["event"].as<std::vector<std::string>>();

    auto handler = handlers().find(o.command);
    if (handler == handlers().end()) throw UsageError("unknown command '" + o.command + "' (see --help)");
    Client client(o, out);
    handler->second(client, o, out);
    return 0;
  } catch (const ApiError& e) {
    err << "pitctl: " << (e.code.empty() ? "error" : e.code) << " (HTTP " << e.status << "): " << e.message;
    if (!e.field.empty() && e.field != "-") err << " [field: " << e.field << "]";
    err << "\n";
    return 1;
  } catch (const UsageError& e) {
    err << "pitctl: " << e.what() << "\n";
    return 2;
  } catch (const po::error& e) {
    err << "pitctl: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const HttpCallError& e) {
    err << "pitctl: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace pitlog::tools
