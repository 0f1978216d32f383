// The webhook event types (API.md "Token hygiene"), grouped and explained for the picker and
// the list. pitd refuses any other type; this is the console's wording of the same catalogue.
export const kEventGroups = [
  { title: 'Integrations', types: [
    ['integration.created', 'an integration was created'],
    ['integration.updated', 'its name, description or scopes changed'],
    ['integration.deleted', 'an integration was deleted'],
  ] },
  { title: 'Tokens', types: [
    ['token.rotated', 'a new token was issued (rotate later or now)'],
    ['rotation.cancelled', 'a rotation was cancelled: the old token stays current'],
    ['token.expired', 'a token stopped working (window elapsed, expired now, rotated now)'],
    ['token.revoked', 'a token was revoked by value (for example a leak report)'],
  ] },
  { title: 'Reminders', types: [
    ['rotation.due', 'the current token is due for rotation: 90 days old unless your operator set another age (once per token)'],
    ['rotation.window_ending', 'an old token stops working in 24 hours'],
  ] },
];
