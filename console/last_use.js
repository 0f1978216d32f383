// Tokens' last use as the console shows it (API.md "Token hygiene": each token's lastUsedAt, the
// time of its last active introspection, null when never used). One rule for "unused", the
// route's: an integration is unused for N days when none of its valid tokens was used in the last
// N days, a never-used token counting from its issuedAt.
import { h } from './ui.js';

const kDay = 86400 * 1000;

// "just now", "5 min ago", "3 h ago", "12 d ago": how long ago `iso` was.
export function ago(iso, now = Date.now()) {
  const s = Math.max(0, Math.floor((now - new Date(iso)) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

// The exact time, to the second, and in UTC as pitd wrote it.
export const exactTime = (iso) =>
  `${new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })} (${iso})`;

// Milliseconds since the latest use of any valid token of `integration` (its issue for a token
// never used); null when it has no valid token.
export function unusedFor(integration, now = Date.now()) {
  const latest = integration.tokens.map((t) => new Date(t.lastUsedAt || t.issuedAt).getTime());
  if (!latest.length) return null;
  return now - Math.max(...latest);
}

let tips = 0;
// A token's last use: "never used", or "used 3 h ago" whose exact time shows on hover and on
// keyboard focus (a tooltip the element names with aria-describedby, so screen readers read it).
export function lastUse(token) {
  if (!token.lastUsedAt) return h('span', { class: 'last-use never' }, 'never used');
  const id = `last-use-tip-${++tips}`;
  return h('span', { class: 'last-use' },
    h('time', { datetime: token.lastUsedAt, tabindex: 0, 'aria-describedby': id }, `used ${ago(token.lastUsedAt)}`),
    h('span', { role: 'tooltip', id, class: 'tip' }, `Last used ${exactTime(token.lastUsedAt)}`));
}

// "Unused for 45 days" when the integration has been unused for more than `threshold` days.
export function unusedBadge(integration, threshold, now = Date.now()) {
  const ms = unusedFor(integration, now);
  if (ms === null || ms <= threshold * kDay) return null;
  const days = Math.floor(ms / kDay);
  const never = integration.tokens.every((t) => !t.lastUsedAt);
  return h('span', { class: 'badge unused' }, never ? `Never used (${days} days)` : `Unused for ${days} days`);
}
