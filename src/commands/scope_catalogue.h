#pragma once
// The scopes a token may be granted. Loaded once at start from a text file (one scope per line,
// '#' comments); the project ships config/scopes.txt, which is also compiled in as the default.
#include <string>
#include <string_view>
#include <vector>

namespace pitlog::commands {

class ScopeCatalogue {
 public:
  // The catalogue shipped with pitlog.
  static ScopeCatalogue builtIn();
  // Parses a catalogue file's text. Throws std::invalid_argument naming the bad line.
  static ScopeCatalogue parse(std::string_view text);
  // Reads and parses a file. Throws std::runtime_error with the path on failure.
  static ScopeCatalogue load(const std::string& path);

  bool contains(std::string_view scope) const;
  const std::vector<std::string>& scopes() const { return scopes_; }  // sorted, unique

 private:
  std::vector<std::string> scopes_;
};

}  // namespace pitlog::commands
