#pragma once
// The admin console's files (the console/ folder), compiled into pitd: CMake generates their
// bytes and digests into a source file at build time (cmake/embed_console.cmake), so pitd
// serves the console with no files beside it and building it needs no Node.js.
#include <cstddef>
#include <optional>
#include <string_view>

namespace pitlog::server::http {

struct ConsoleAsset {
  std::string_view name;         // "index.html", "app.js", ...
  std::string_view contentType;  // from the name's extension
  std::string_view etag;         // "\"<first 16 hex digits of the bytes' SHA-256>\""
  std::string_view bytes;
};

// The file called `name` ("" is the console's page, index.html); nullopt for any other name.
std::optional<ConsoleAsset> findConsoleAsset(std::string_view name);

}  // namespace pitlog::server::http
