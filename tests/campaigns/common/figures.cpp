#include "figures.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "campaign_api.h"

namespace pitlog::campaigns {

Figures::Figures(const std::string& campaign) : campaign_(campaign) {
  set("campaign", campaign);
}

void Figures::put(const std::string& name, std::string rendered) {
  for (auto& m : members_) {
    if (m.first == name) {
      m.second = std::move(rendered);
      return;
    }
  }
  members_.emplace_back(name, std::move(rendered));
}

void Figures::set(const std::string& name, int64_t value) { put(name, std::to_string(value)); }

void Figures::set(const std::string& name, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", value);
  put(name, buf);
}

void Figures::set(const std::string& name, const std::string& value) {
  put(name, jsonString(value));
}

std::string Figures::json() const {
  std::string out = "{";
  for (size_t i = 0; i < members_.size(); ++i) {
    out += (i ? "," : "") + jsonString(members_[i].first) + ":" + members_[i].second;
  }
  return out + "}";
}

bool Figures::publish() const {
  std::cout << "FIGURES " << json() << std::endl;
  const char* dir = std::getenv("PITLOG_FIGURES_DIR");
  if (dir == nullptr || *dir == '\0') return true;
  std::ofstream out(std::string(dir) + "/" + campaign_ + ".json");
  out << json() << "\n";
  return static_cast<bool>(out);
}

}  // namespace pitlog::campaigns
