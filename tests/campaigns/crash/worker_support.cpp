#include "worker_support.h"

#include <stdexcept>

namespace pitlog::campaigns::crash {

const char* kindName(Kind k) {
  switch (k) {
    case Kind::create: return "create";
    case Kind::createAsUser: return "create-as-user";
    case Kind::patch: return "patch";
    case Kind::rotateLater: return "rotate-later";
    case Kind::rotateNow: return "rotate-now";
    case Kind::cancel: return "cancel";
    case Kind::expireNow: return "expire-now";
    case Kind::remove: return "delete";
    case Kind::permission: return "permission";
  }
  return "?";
}

int successStatus(Kind k) {
  if (k == Kind::create || k == Kind::createAsUser) return 201;
  if (k == Kind::remove) return 204;
  return 200;
}

bool isSuccess(int status) { return status >= 200 && status < 300; }

testing::HttpResponse completeResponse(testing::HttpResponse r) {
  if (r.hasContentLength && r.body.size() != std::stoul(r.header("content-length"))) {
    throw std::runtime_error("the connection ended inside the body");
  }
  return r;
}

testing::Json tokenInState(const testing::Json& integration, const std::string& state) {
  auto tokens = integration["tokens"];
  for (size_t i = 0; tokens.isArray() && i < tokens.size(); ++i) {
    if (tokens[i]["state"].isString() && tokens[i]["state"].str() == state) return tokens[i];
  }
  return testing::Json();
}


}  // namespace pitlog::campaigns::crash
