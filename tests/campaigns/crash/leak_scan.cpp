#include "leak_scan.h"

#include <cstring>
#include <filesystem>
#include <set>
#include <string_view>
#include <unordered_map>

#include "../common/campaign_api.h"
#include "support/pitd_process.h"

namespace pitlog::campaigns::crash {

namespace {

constexpr size_t kPrefix = 4;  // "pit_"
constexpr size_t kProbe = 8;

void scanBytes(std::string_view bytes, const std::vector<std::string>& tokens,
               const std::unordered_map<std::string_view, std::vector<size_t>>& byProbe,
               std::set<size_t>* found) {
  if (bytes.size() < kProbe) return;
  for (size_t i = 0; i + kProbe <= bytes.size(); ++i) {
    auto it = byProbe.find(bytes.substr(i, kProbe));
    if (it == byProbe.end()) continue;
    for (size_t t : it->second) {
      std::string_view body = std::string_view(tokens[t]).substr(kPrefix);
      if (bytes.substr(i, body.size()) == body) found->insert(t);
    }
  }
}

}  // namespace

std::vector<std::string> findLeakedTokens(const std::vector<std::string>& roots,
                                          const std::vector<std::string>& tokens) {
  std::unordered_map<std::string_view, std::vector<size_t>> byProbe;
  for (size_t t = 0; t < tokens.size(); ++t) {
    byProbe[std::string_view(tokens[t]).substr(kPrefix, kProbe)].push_back(t);
  }
  std::set<size_t> found;
  auto scanFile = [&](const std::filesystem::path& p) {
    scanBytes(testing::readFile(p.string()), tokens, byProbe, &found);
  };
  for (const auto& root : roots) {
    if (std::filesystem::is_regular_file(root)) {
      scanFile(root);
      continue;
    }
    if (!std::filesystem::is_directory(root)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (entry.is_regular_file()) scanFile(entry.path());
    }
  }
  std::vector<std::string> out;
  for (size_t t : found) out.push_back(tokenIdOf(tokens[t]));
  return out;
}

}  // namespace pitlog::campaigns::crash
