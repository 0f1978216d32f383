#pragma once
// pit-replay's subcommands: one class each, listed with its name in pit_replay.cpp's table.
// Each declares its own options (beyond --data and --help, which every one has) and runs against
// a parsed variables_map, printing to the context's streams and returning an ExitCode.
#include <memory>

#include "cli.h"
#include "tool_context.h"

namespace pitlog::tools {

class Subcommand {
 public:
  virtual ~Subcommand() = default;
  virtual void addOptions(po::options_description& options) const = 0;
  // The synopsis after "pit-replay --data DIR ", e.g. "verify [--against FILE]".
  virtual const char* synopsis() const = 0;
  // What it does, then examples; printed by `pit-replay SUBCOMMAND --help`.
  virtual const char* help() const = 0;
  virtual int run(const po::variables_map& vm, ToolContext& ctx) const = 0;
};

std::unique_ptr<Subcommand> makeVerify();
std::unique_ptr<Subcommand> makeCheckpoint();
std::unique_ptr<Subcommand> makeAsOf();
std::unique_ptr<Subcommand> makeTrail();
std::unique_ptr<Subcommand> makeRebuild();
std::unique_ptr<Subcommand> makeProve();
std::unique_ptr<Subcommand> makeVerifyProof();

}  // namespace pitlog::tools
