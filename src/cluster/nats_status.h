#pragma once
// Private to pitlog_cluster's .cpp files: turning a natsStatus and jsErrCode into words and into
// a NatsError. The only header of the library that includes the NATS C client's.
#include <nats/nats.h>

#include <string>
#include <string_view>

#include "cluster/nats_error.h"

namespace pitlog::cluster {

// "<what>: <status text> (<last error of this thread>) [jetstream error N]".
std::string describeNatsFailure(std::string_view what, natsStatus s, jsErrCode jerr = jsErrCode(0));
[[noreturn]] void throwNatsError(std::string_view what, natsStatus s,
                                 jsErrCode jerr = jsErrCode(0));

}  // namespace pitlog::cluster
