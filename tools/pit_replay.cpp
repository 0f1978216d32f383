#include "pit_replay.h"

#include <kj/exception.h>

#include <iomanip>

#include "events/store.h"
#include "replay_subcommands.h"

namespace pitlog::tools {
namespace {

struct SubcommandEntry {
  const char* name;
  const char* summary;
  std::unique_ptr<Subcommand> (*make)();
};

const SubcommandEntry kSubcommands[] = {
    {"verify", "re-check the hash chain and compare every stored view with its rebuild", makeVerify},
    {"checkpoint", "print the verified chain head to keep; sign or verify a checkpoint", makeCheckpoint},
    {"as-of", "print every integration as it was at a time or sequence", makeAsOf},
    {"trail", "print an account's audit trail for people", makeTrail},
    {"rebuild", "replace the stored views by a rebuild (stopped database only)", makeRebuild},
    {"prove", "print an inclusion or consistency proof of the log's Merkle tree", makeProve},
    {"verify-proof", "check a signed checkpoint and a proof offline (no data dir)", makeVerifyProof},
};

const SubcommandEntry* findSubcommand(const std::string& name) {
  for (const auto& s : kSubcommands) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

void addCommonOptions(po::options_description& o) {
  o.add_options()
      ("help,h", "print help")
      ("data", po::value<std::string>()->value_name("DIR"), "the database directory (required)");
}

void printGeneralHelp(std::ostream& out) {
  out << "pit-replay --data DIR SUBCOMMAND [options]\n\n"
         "Replays a pitlog database's event log, live or stopped, without changing it: verifies\n"
         "the hash chain and the stored views, shows the views as of any moment, prints audit\n"
         "trails, proves and signs the log's Merkle tree, and checks such proofs offline (no data\n"
         "dir). A database held by a running pitd is read as a RocksDB secondary.\n\n"
         "Subcommands:\n";
  for (const auto& s : kSubcommands) {
    out << "  " << std::left << std::setw(14) << s.name << s.summary << '\n';
  }
  out << "\n`pit-replay SUBCOMMAND --help` describes one.\n\n"
         "Examples:\n"
         "  pit-replay --data /var/lib/pitlog verify\n"
         "  pit-replay --data /var/lib/pitlog checkpoint > checkpoint.json\n"
         "  pit-replay --data /var/lib/pitlog verify --against checkpoint.json\n"
         "  pit-replay --data /var/lib/pitlog as-of --at 2026-11-28T17:00:00Z --account acct-1\n"
         "  pit-replay --data /var/lib/pitlog trail --account acct-1 --since 2026-11-01T00:00:00Z\n"
         "  pit-replay --data /var/lib/pitlog checkpoint --sign /var/lib/pitlog/log-signing.key\n"
         "  pit-replay verify-proof --key pitlog.pub --checkpoint now.txt --proof p.json --event e.json\n\n"
         "Exit status: 0 done and nothing wrong; 1 a finding (verification failed; the first\n"
         "failing sequence is named); 2 bad usage, an unreadable database, or a refused rebuild.\n";
}

// Splits argv into the subcommand's name and its arguments; --data and --help may come before
// or after the name. Boost collects what the global options do not know, in order.
struct Split {
  std::string command;
  std::vector<std::string> rest;  // the subcommand's own arguments, with --data/--help re-added
  bool help = false;
};

Split splitArgs(const Argv& argv) {
  po::options_description global;
  addCommonOptions(global);
  global.add_options()
      ("subcommand", po::value<std::string>())
      ("subargs", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("subcommand", 1).add("subargs", -1);
  Split out;
  try {
    std::vector<std::string> args(argv.begin() + 1, argv.end());
    auto parsed = po::command_line_parser(args)
                      .options(global)
                      .positional(positional)
                      .style(kCliStyle)
                      .allow_unregistered()
                      .run();
    po::variables_map vm;
    po::store(parsed, vm);
    out.help = vm.count("help") > 0;
    if (vm.count("subcommand")) out.command = vm["subcommand"].as<std::string>();
    out.rest = po::collect_unrecognized(parsed.options, po::include_positional);
    if (!out.rest.empty() && out.rest.front() == out.command) out.rest.erase(out.rest.begin());
    if (vm.count("data")) {
      out.rest.push_back("--data");
      out.rest.push_back(vm["data"].as<std::string>());
    }
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return out;
}

int dispatch(const Argv& argv, ToolContext& ctx) {
  Split split = splitArgs(argv);
  if (split.command.empty()) {
    if (split.help) {
      printGeneralHelp(ctx.out);
      return kExitOk;
    }
    throw UsageError(
        "a subcommand is required (verify, checkpoint, as-of, trail, rebuild, prove, "
        "verify-proof)");
  }
  const SubcommandEntry* entry = findSubcommand(split.command);
  if (!entry) throw UsageError("unknown subcommand '" + split.command + "'");
  auto subcommand = entry->make();
  po::options_description options(std::string("pit-replay --data DIR ") + subcommand->synopsis() +
                                  "\n\nOptions");
  addCommonOptions(options);
  subcommand->addOptions(options);
  if (split.help) {
    ctx.out << options << '\n' << subcommand->help() << '\n';
    return kExitOk;
  }
  Argv subArgv{std::string("pit-replay ") + entry->name};
  subArgv.insert(subArgv.end(), split.rest.begin(), split.rest.end());
  auto vm = parseArgs(subArgv, 1, options);
  return subcommand->run(vm, ctx);
}

}  // namespace

int runPitReplay(const Argv& argv, ToolContext& ctx) {
  try {
    return dispatch(argv, ctx);
  } catch (const UsageError& e) {
    ctx.err << "pit-replay: " << e.what() << "\nTry 'pit-replay --help'.\n";
    return kExitUsage;
  } catch (const events::StoreError& e) {
    ctx.err << "pit-replay: " << e.what() << '\n';
    return kExitUsage;
  } catch (const kj::Exception& e) {
    ctx.err << "pit-replay: " << e.getDescription().cStr() << '\n';
    return kExitUsage;
  }
}

}  // namespace pitlog::tools
