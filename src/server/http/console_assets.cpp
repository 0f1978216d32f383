#include "server/http/console_assets.h"

#include "server/http/console_assets_data.h"

namespace pitlog::server::http {

namespace {

std::string_view contentTypeOf(std::string_view name) {
  auto endsWith = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (endsWith(".html")) return "text/html; charset=utf-8";
  if (endsWith(".js")) return "text/javascript; charset=utf-8";
  if (endsWith(".css")) return "text/css; charset=utf-8";
  if (endsWith(".svg")) return "image/svg+xml";
  if (endsWith(".png")) return "image/png";
  return "application/octet-stream";
}

}  // namespace

std::optional<ConsoleAsset> findConsoleAsset(std::string_view name) {
  if (name.empty()) name = "index.html";
  for (size_t i = 0; i < kEmbeddedConsoleFileCount; ++i) {
    const EmbeddedConsoleFile& f = kEmbeddedConsoleFiles[i];
    if (f.name == name) return ConsoleAsset{f.name, contentTypeOf(f.name), f.etag, f.bytes};
  }
  return std::nullopt;
}

}  // namespace pitlog::server::http
