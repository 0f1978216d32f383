#include "support/cluster_fixture.h"

#include <stdexcept>

namespace pitlog::testing {

cluster::ConnectOptions connectOptions(const std::vector<std::string>& urls,
                                       const std::string& name) {
  cluster::ConnectOptions options;
  options.urls = urls;
  options.name = name;
  options.connectTimeout = std::chrono::milliseconds(1000);
  options.reconnectWait = std::chrono::milliseconds(100);
  options.requestTimeout = std::chrono::milliseconds(2000);
  return options;
}

std::string describe(const cluster::PublishOutcome& outcome) {
  struct Visitor {
    std::string operator()(const cluster::Stored& s) { return "stored " + std::to_string(s.seq); }
    std::string operator()(const cluster::Duplicate& d) {
      return "duplicate of " + std::to_string(d.seq);
    }
    std::string operator()(const cluster::WrongLastSequence& w) { return w.detail; }
    std::string operator()(const cluster::Unavailable& u) { return "unavailable: " + u.reason; }
  };
  return std::visit(Visitor{}, outcome);
}

uint64_t storedSeq(const cluster::PublishOutcome& outcome) {
  if (const auto* s = std::get_if<cluster::Stored>(&outcome)) return s->seq;
  throw std::runtime_error("the publish was not stored: " + describe(outcome));
}

std::vector<cluster::StreamCommit> readUntil(cluster::CommitReader& reader, uint64_t position) {
  std::vector<cluster::StreamCommit> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (reader.position() < position && std::chrono::steady_clock::now() < deadline) {
    for (auto& c : reader.poll(std::chrono::milliseconds(200))) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace pitlog::testing
