#pragma once
// Small pieces the worker's files share: names and success statuses of command kinds, and
// reading an answer.
#include <string>

#include "support/http_client.h"
#include "support/json.h"
#include "worker.h"

namespace pitlog::campaigns::crash {

const char* kindName(Kind k);
int successStatus(Kind k);
bool isSuccess(int status);

// The support client returns what arrived when the connection ends inside a body; a body cut by
// the kill is no answer at all, so this throws std::runtime_error for it, as for a failed request
// (uncertain, resolved from the log).
testing::HttpResponse completeResponse(testing::HttpResponse r);

// The token whose state is `state` ("current", "previous") in an integration answer, or an
// absent Json.
testing::Json tokenInState(const testing::Json& integration, const std::string& state);

}  // namespace pitlog::campaigns::crash
