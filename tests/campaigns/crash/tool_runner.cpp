#include "tool_runner.h"

#include <sys/wait.h>

#include <cstdio>
#include <stdexcept>

namespace pitlog::campaigns::crash {

namespace {

// Single quotes for the shell popen runs; the arguments are paths and flags we built ourselves.
std::string quoted(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

int runTool(const std::vector<std::string>& argv, std::string* output) {
  std::string command;
  for (const auto& a : argv) command += quoted(a) + " ";
  command += "2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot start " + argv.at(0));
  output->clear();
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output->append(buf, n);
  int status = ::pclose(pipe);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace pitlog::campaigns::crash
