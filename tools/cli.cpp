#include "cli.h"

#include <cctype>

#include <charconv>

namespace pitlog::tools {

po::variables_map parseArgs(const Argv& argv, size_t first, const po::options_description& options,
                            const po::positional_options_description* positional) {
  std::vector<std::string> args(argv.begin() + static_cast<std::ptrdiff_t>(first), argv.end());
  po::variables_map vm;
  try {
    po::command_line_parser parser(args);
    parser.options(options).style(kCliStyle);
    if (positional) {
      parser.positional(*positional);
    } else {
      parser.positional(po::positional_options_description());  // a stray word is an error
    }
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return vm;
}

std::optional<std::string> stringOption(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return std::nullopt;
  return vm[name].as<std::string>();
}

std::optional<events::UnixMillis> timeOption(const po::variables_map& vm, const char* name) {
  auto text = stringOption(vm, name);
  if (!text) return std::nullopt;
  auto t = events::parseRfc3339(*text);
  if (!t) {
    throw UsageError(std::string("--") + name + " '" + *text +
                     "' is not an RFC 3339 time such as 2026-11-28T17:00:00Z");
  }
  return t;
}

namespace {

// True when an RFC 3339 time has a non-zero fraction below the millisecond ("20.2035Z"), which
// parseRfc3339 drops.
bool hasSubMillisecond(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return false;
  for (size_t i = dot + 4; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    if (text[i] != '0') return true;
  }
  return false;
}

}  // namespace

std::optional<events::UnixMillis> sinceOption(const po::variables_map& vm, const char* name) {
  auto t = timeOption(vm, name);
  // A lower bound between two milliseconds excludes the earlier one: events carry whole ms.
  if (t && hasSubMillisecond(*stringOption(vm, name))) *t += 1;
  return t;
}

std::optional<uint64_t> countOption(const po::variables_map& vm, const char* name,
                                    uint64_t minimum) {
  auto text = stringOption(vm, name);
  if (!text) return std::nullopt;
  uint64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || ec != std::errc() || ptr != end || value < minimum) {
    throw UsageError(std::string("--") + name + " '" + *text + "' is not a whole number of at least " +
                     std::to_string(minimum));
  }
  return value;
}

std::string dataOption(const po::variables_map& vm) {
  auto dir = stringOption(vm, "data");
  if (!dir || dir->empty()) throw UsageError("--data DIR is required");
  return *dir;
}

}  // namespace pitlog::tools
