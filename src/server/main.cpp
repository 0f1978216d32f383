// pitd: parse the configuration, set up logging, run the server (server/server.h).
#include <iostream>

#include "server/config.h"
#include "server/log.h"
#include "server/server.h"

int main(int argc, char** argv) {
  pitlog::server::captureShutdownSignals();
  auto outcome = pitlog::server::parseConfig(argc, argv, std::cout, std::cerr);
  if (outcome.action == pitlog::server::ConfigOutcome::Action::exit) return outcome.exitCode;
  pitlog::server::log::configure(outcome.config.logLevel, outcome.config.logFormat);
  return pitlog::server::runServer(outcome.config);
}
