#pragma once
// The one exception type of pitlog_cluster for NATS failures that are not an expected outcome
// (those are values: see commit_publisher.h). It carries the client's status and JetStream error
// code as plain ints, so that callers need not include the NATS C headers.
#include <stdexcept>
#include <string>

namespace pitlog::cluster {

class NatsError : public std::runtime_error {
 public:
  NatsError(const std::string& what, int status, int jsErrorCode)
      : std::runtime_error(what), status_(status), jsErrorCode_(jsErrorCode) {}
  int status() const { return status_; }            // a natsStatus
  int jsErrorCode() const { return jsErrorCode_; }  // a jsErrCode, 0 when none
 private:
  int status_;
  int jsErrorCode_;
};

}  // namespace pitlog::cluster
