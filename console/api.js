// Every call of the console to pitd: same origin, the session cookie, and X-Pitlog-Console: 1
// (API.md "Admin console"). Errors become ApiError with the API's code, message and field.
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `pitd answered HTTP ${status}`);
    this.status = status;
    this.code = error?.code || '';
    this.field = error?.field || '';
  }
}

let session = null;
export const getSession = () => session;

export async function call(method, path, body, headers = {}) {
  const init = { method, credentials: 'same-origin', headers: { 'X-Pitlog-Console': '1', ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = response.status === 204 ? '' : await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data?.error);
  return { data, etag: response.headers.get('ETag') };
}

export async function loadSession() {
  session = (await call('GET', '/console/session')).data;
  return session;
}

const account = () => `/v1/accounts/${encodeURIComponent(session.accountId)}`;
const integration = (id) => `${account()}/integrations/${encodeURIComponent(id)}`;
const webhook = (id) => `${account()}/webhooks/${encodeURIComponent(id)}`;

export const api = {
  scopes: async () => (await call('GET', '/v1/scopes')).data.scopes,
  list: async (query = {}) => {
    const q = new URLSearchParams(query).toString();
    return (await call('GET', `${account()}/integrations${q ? '?' + q : ''}`)).data.integrations;
  },
  get: async (id, asOf) => {
    const q = asOf ? `?asOf=${encodeURIComponent(asOf)}` : '';
    return (await call('GET', integration(id) + q)).data.integration;
  },
  create: async (body) => (await call('POST', `${account()}/integrations`, body)).data,
  edit: async (id, version, body) =>
    (await call('PATCH', integration(id), body, { 'If-Match': `"${version}"` })).data.integration,
  rotate: async (id, expire) => (await call('POST', `${integration(id)}/rotate`, { expire })).data,
  cancelRotation: async (id) => (await call('POST', `${integration(id)}/rotation/cancel`)).data.integration,
  expireNow: async (id) => (await call('POST', `${integration(id)}/rotation/expire-now`)).data.integration,
  remove: async (id, version) => call('DELETE', integration(id), undefined, { 'If-Match': `"${version}"` }),
  events: async (id) => (await call('GET', `${integration(id)}/events`)).data.events,
  audit: async (query = {}) => {
    const q = new URLSearchParams(query).toString();
    return (await call('GET', `${account()}/audit${q ? '?' + q : ''}`)).data;
  },
  permission: async (user) =>
    (await call('GET', `${account()}/users/${encodeURIComponent(user)}/permission`)).data,
  setPermission: async (user, allowed) =>
    (await call('PUT', `${account()}/users/${encodeURIComponent(user)}/permission`, { allowed })).data,
  webhooks: async () => (await call('GET', `${account()}/webhooks`)).data.webhooks,
  // Creates (201, with the signing secret once) or, with `version`, replaces (200, If-Match).
  putWebhook: async (id, body, version) =>
    (await call('PUT', webhook(id), body, version ? { 'If-Match': `"${version}"` } : {})).data,
  removeWebhook: async (id, version) => call('DELETE', webhook(id), undefined, { 'If-Match': `"${version}"` }),
  deliveries: async (id) => (await call('GET', `${webhook(id)}/deliveries`)).data,
  signOut: async () => call('POST', '/console/signout'),
};
