#pragma once
// Command-line plumbing shared by the tools, on Boost.Program_options: strict parsing (no
// abbreviated option names, so scripts keep working when options are added), typed values that
// are checked once here, and the help text layout.
#include <boost/program_options.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "events/time_format.h"
#include "tool_context.h"

namespace pitlog::tools {

namespace po = boost::program_options;

// No guessing of abbreviations; `--name=value` and `--name value` both work.
inline constexpr int kCliStyle =
    po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

// Parses argv[first..] against `options` (and `positional`, when given) into a variables_map.
// Throws UsageError with Boost's explanation.
po::variables_map parseArgs(const Argv& argv, size_t first, const po::options_description& options,
                            const po::positional_options_description* positional = nullptr);

// Typed getters over the map; each throws UsageError naming the option.
std::optional<events::UnixMillis> timeOption(const po::variables_map& vm, const char* name);
// A lower bound (--since): a time between two milliseconds is rounded up, so that
// "…20.2035Z" does not include events at 20.203.
std::optional<events::UnixMillis> sinceOption(const po::variables_map& vm, const char* name);
std::optional<uint64_t> countOption(const po::variables_map& vm, const char* name,
                                    uint64_t minimum);
std::optional<std::string> stringOption(const po::variables_map& vm, const char* name);
// The --data directory, required.
std::string dataOption(const po::variables_map& vm);

}  // namespace pitlog::tools
