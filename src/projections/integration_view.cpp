#include "projections/integration_view.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <cstring>

#include "projections/views.capnp.h"

namespace pitlog::projections {

using events::digestField;
using events::textView;
using events::schema::Event;

const TokenRecord* IntegrationView::current() const {
  for (const auto& t : tokens) {
    if (t.state == TokenState::current) return &t;
  }
  return nullptr;
}

std::vector<TokenRecord> IntegrationView::validTokens(UnixMillis now) const {
  std::vector<TokenRecord> out;
  if (deleted) return out;
  for (const auto& t : tokens) {
    if (!t.expiresAt || now < *t.expiresAt) out.push_back(t);
  }
  return out;
}

namespace {

std::vector<std::string> scopesOf(capnp::List<capnp::Text>::Reader list) {
  std::vector<std::string> out;
  out.reserve(list.size());
  for (auto s : list) out.emplace_back(textView(s));
  return out;
}

void removeToken(IntegrationView& v, const Digest& d) {
  std::erase_if(v.tokens, [&](const TokenRecord& t) { return t.digest == d; });
}

TokenRecord* findToken(IntegrationView& v, const Digest& d) {
  for (auto& t : v.tokens) {
    if (t.digest == d) return &t;
  }
  return nullptr;
}

// A rotation is pending while a previous token's deadline lies ahead. A previous token whose
// window elapsed before this event (its Expired(window_elapsed) not yet written) does not keep
// the rotation open: after a rotate with "now" or an expire-now the rotation is over.
bool hasPendingPrevious(const IntegrationView& v, UnixMillis at) {
  return std::any_of(v.tokens.begin(), v.tokens.end(), [&](const TokenRecord& t) {
    return t.state == TokenState::previous && t.expiresAt && at < *t.expiresAt;
  });
}

// Keeps the current token first, then previous ones by deadline: a stable order makes the stored
// bytes a function of the events alone.
// An insertion sort, which is stable: an integration holds one to three tokens, and
// std::stable_sort would allocate a buffer for them on every event.
void normalise(IntegrationView& v) {
  auto before = [](const TokenRecord& a, const TokenRecord& b) {
    if (a.state != b.state) return a.state == TokenState::current;
    return a.expiresAt.value_or(0) < b.expiresAt.value_or(0);
  };
  auto& t = v.tokens;
  for (size_t i = 1; i < t.size(); ++i) {
    for (size_t j = i; j > 0 && before(t[j], t[j - 1]); --j) std::swap(t[j], t[j - 1]);
  }
}

}  // namespace

IntegrationView apply(IntegrationView v, const Event::Reader& e) {
  applyInPlace(v, e);
  return v;
}

void applyInPlace(IntegrationView& v, const Event::Reader& e) {
  const auto body = e.getBody();
  const UnixMillis at = e.getAt();
  switch (body.which()) {
    case Event::Body::CREATED: {
      auto c = body.getCreated();
      v = IntegrationView{};
      v.id = textView(e.getStreamId());
      v.accountId = textView(e.getAccountId());
      v.name = textView(c.getName());
      v.description = textView(c.getDescription());
      v.scopes = scopesOf(c.getScopes());
      v.createdAt = at;
      v.createdBy = textView(e.getActor().getUserId());
      v.createdSeq = e.getSeq();
      v.tokens.push_back({digestField(c.getToken()), TokenState::current, at, std::nullopt,
                          std::string(textView(c.getTokenHint()))});
      break;
    }
    case Event::Body::SCOPES_UPDATED: {
      auto s = body.getScopesUpdated();
      v.name = textView(s.getName());
      v.description = textView(s.getDescription());
      v.scopes = scopesOf(s.getScopes());
      break;
    }
    case Event::Body::ROTATION_STARTED: {
      auto r = body.getRotationStarted();
      if (auto* previous = findToken(v, digestField(r.getPreviousToken()))) {
        previous->state = TokenState::previous;
        previous->expiresAt = r.getPreviousExpiresAt();
      }
      v.tokens.push_back({digestField(r.getToken()), TokenState::current, at, std::nullopt,
                          std::string(textView(r.getTokenHint()))});
      // No previous token (zeros: it was revoked): nothing overlaps, no rotation is pending.
      if (digestField(r.getPreviousToken()) == Digest{}) {
        v.rotation.reset();
      } else {
        v.rotation = Rotation{at, r.getPreviousExpiresAt()};
      }
      break;
    }
    case Event::Body::ROTATION_CANCELLED: {
      auto r = body.getRotationCancelled();
      removeToken(v, digestField(r.getCancelledToken()));
      if (auto* restored = findToken(v, digestField(r.getRestoredToken()))) {
        restored->state = TokenState::current;
        restored->expiresAt.reset();
      }
      v.rotation.reset();
      break;
    }
    case Event::Body::EXPIRED:
      removeToken(v, digestField(body.getExpired().getToken()));
      if (!hasPendingPrevious(v, at)) v.rotation.reset();
      break;
    case Event::Body::DELETED:
      v.deleted = true;
      v.deletedAt = at;
      v.tokens.clear();
      v.rotation.reset();
      break;
    case Event::Body::PERMISSION_CHANGED:
    case Event::Body::WEBHOOK_SUBSCRIBED:
    case Event::Body::WEBHOOK_REMOVED:
      return;  // not an integration event
  }
  normalise(v);
  v.version = e.getStreamVersion();
  v.updatedAt = at;
  v.lastSeq = e.getSeq();
}

std::string encodeIntegration(const IntegrationView& v) {
  return events::encodeStoredValue<views::IntegrationView>([&](views::IntegrationView::Builder b) {
    b.setId(asText(v.id));
    b.setAccountId(asText(v.accountId));
    b.setName(asText(v.name));
    b.setDescription(asText(v.description));
    auto scopes = b.initScopes(static_cast<unsigned>(v.scopes.size()));
    for (unsigned i = 0; i < v.scopes.size(); ++i) scopes.set(i, asText(v.scopes[i]));
    b.setDeleted(v.deleted);
    b.setVersion(v.version);
    b.setCreatedAt(v.createdAt);
    b.setCreatedBy(asText(v.createdBy));
    b.setCreatedSeq(v.createdSeq);
    b.setUpdatedAt(v.updatedAt);
    b.setDeletedAt(v.deletedAt);
    b.setLastSeq(v.lastSeq);
    auto tokens = b.initTokens(static_cast<unsigned>(v.tokens.size()));
    for (unsigned i = 0; i < v.tokens.size(); ++i) {
      const auto& t = v.tokens[i];
      auto tb = tokens[i];
      tb.setDigest(capnp::Data::Reader(t.digest.data(), t.digest.size()));
      tb.setState(t.state == TokenState::current ? views::TokenState::CURRENT
                                                 : views::TokenState::PREVIOUS);
      tb.setIssuedAt(t.issuedAt);
      tb.setHasDeadline(t.expiresAt.has_value());
      tb.setExpiresAt(t.expiresAt.value_or(0));
      tb.setHint(asText(t.hint));
    }
    b.setRotationPending(v.rotation.has_value());
    if (v.rotation) {
      b.setRotationStartedAt(v.rotation->startedAt);
      b.setRotationPreviousExpiresAt(v.rotation->previousExpiresAt);
    }
  });
}

std::optional<IntegrationView> decodeIntegration(std::string_view bytes) {
  return events::readStoredValue<views::IntegrationView>(bytes, [](views::IntegrationView::Reader r) {
    IntegrationView v;
    v.id = textView(r.getId());
    v.accountId = textView(r.getAccountId());
    v.name = textView(r.getName());
    v.description = textView(r.getDescription());
    v.scopes = scopesOf(r.getScopes());
    v.deleted = r.getDeleted();
    v.version = r.getVersion();
    v.createdAt = r.getCreatedAt();
    v.createdBy = textView(r.getCreatedBy());
    v.createdSeq = r.getCreatedSeq();
    v.updatedAt = r.getUpdatedAt();
    v.deletedAt = r.getDeletedAt();
    v.lastSeq = r.getLastSeq();
    for (auto t : r.getTokens()) {
      TokenRecord rec;
      rec.digest = digestField(t.getDigest());
      rec.state = t.getState() == views::TokenState::CURRENT ? TokenState::current
                                                              : TokenState::previous;
      rec.issuedAt = t.getIssuedAt();
      if (t.getHasDeadline()) rec.expiresAt = t.getExpiresAt();
      rec.hint = textView(t.getHint());
      v.tokens.push_back(rec);
    }
    if (r.getRotationPending()) {
      v.rotation = Rotation{r.getRotationStartedAt(), r.getRotationPreviousExpiresAt()};
    }
    return v;
  });
}

}  // namespace pitlog::projections
