#pragma once
// What cmake/embed_console.cmake generates (console_assets_data.cpp in the build tree): one
// entry per file of the console/ folder that src/server/CMakeLists.txt lists.
#include <cstddef>
#include <string_view>

namespace pitlog::server::http {

struct EmbeddedConsoleFile {
  std::string_view name;
  std::string_view etag;   // quoted, as the ETag header carries it
  std::string_view bytes;
};

extern const EmbeddedConsoleFile kEmbeddedConsoleFiles[];
extern const size_t kEmbeddedConsoleFileCount;

}  // namespace pitlog::server::http
