// One page of the account's audit trail as the console shows it. pitd's audit route filters by
// time (since/until) and pages by sequence (after/next) but has no event-type filter (API.md), so
// a page of one type is gathered here from as many of pitd's pages as it takes, bounded by
// kMaxRequestsPerPage so that a rare type in a long trail cannot keep the browser busy.
//
// `next` keeps pitd's meaning: the `after` that continues exactly where this page stopped (the
// last event shown, or the last event read when the bound cut the search short), so no event
// is skipped or shown twice; null when nothing follows.
export const kMaxRequestsPerPage = 25;

// fetchPage(query) answers pitd's {events, next}; query holds after, limit, since, until.
export async function auditPage(fetchPage, { after = 0, limit, since, until, type = '' }) {
  const base = { limit };
  if (since) base.since = since;
  if (until) base.until = until;
  if (!type) {
    const page = await fetchPage(after ? { ...base, after } : base);
    return { events: page.events, next: page.next, searchedTo: null };
  }
  const events = [];
  let cursor = after;
  for (let requests = 0; requests < kMaxRequestsPerPage; ++requests) {
    const page = await fetchPage(cursor ? { ...base, after: cursor } : base);
    for (const e of page.events) {
      if (e.type !== type) continue;
      if (events.length === limit) return { events, next: events[events.length - 1].seq, searchedTo: null };
      events.push(e);
    }
    if (page.next === null) return { events, next: null, searchedTo: null };
    cursor = page.next;
  }
  // The bound was reached: the next page goes on searching from the last event read.
  if (events.length === limit) return { events, next: events[events.length - 1].seq, searchedTo: null };
  return { events, next: cursor, searchedTo: cursor };
}
