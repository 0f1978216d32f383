#pragma once
// A campaign's figures: a flat JSON object whose members keep the order they were set in. The
// driver prints it as its last line, `FIGURES {json}`, which the campaign scripts and
// reliability.sh read; with PITLOG_FIGURES_DIR set it is also written to <dir>/<campaign>.json.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pitlog::campaigns {

class Figures {
 public:
  explicit Figures(const std::string& campaign);

  void set(const std::string& name, int64_t value);
  void set(const std::string& name, double value);  // written with 2 decimals
  void set(const std::string& name, const std::string& value);

  std::string json() const;
  // Prints "FIGURES <json>" on stdout and writes the file when PITLOG_FIGURES_DIR is set.
  // Returns false when that file cannot be written.
  bool publish() const;

 private:
  void put(const std::string& name, std::string rendered);

  std::string campaign_;
  std::vector<std::pair<std::string, std::string>> members_;
};

}  // namespace pitlog::campaigns
