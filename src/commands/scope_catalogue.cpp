#include "commands/scope_catalogue.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pitlog::commands {
namespace {

// The shipped catalogue, embedded at build time from config/scopes.txt.
constexpr char kBuiltIn[] =
#include "scopes_txt.inc"
    ;

bool isScopeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '/' || c == '_' || c == '-';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

ScopeCatalogue ScopeCatalogue::builtIn() { return parse(kBuiltIn); }

ScopeCatalogue ScopeCatalogue::parse(std::string_view text) {
  ScopeCatalogue c;
  size_t lineNo = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++lineNo;
    if (line.empty() || line.front() == '#') continue;
    if (line.size() > 128 || !std::all_of(line.begin(), line.end(), isScopeChar)) {
      throw std::invalid_argument("scope catalogue line " + std::to_string(lineNo) +
                                  ": not a scope name (letters, digits, '.', '/', '_', '-')");
    }
    c.scopes_.emplace_back(line);
  }
  std::sort(c.scopes_.begin(), c.scopes_.end());
  c.scopes_.erase(std::unique(c.scopes_.begin(), c.scopes_.end()), c.scopes_.end());
  if (c.scopes_.empty()) throw std::invalid_argument("scope catalogue is empty");
  return c;
}

ScopeCatalogue ScopeCatalogue::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the scope catalogue " + path);
  std::stringstream text;
  text << in.rdbuf();
  try {
    return parse(text.str());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

bool ScopeCatalogue::contains(std::string_view scope) const {
  return std::binary_search(scopes_.begin(), scopes_.end(), scope);
}

}  // namespace pitlog::commands
