// Add and Replace a webhook: its id (add only), URL and event types in a dialog. pitd answers
// an add with the signing secret, shown here once like a token; a replace keeps the secret and
// is sent with If-Match, so a change made meanwhile is a 412, never a silent overwrite.
import { api } from './api.js';
import { h, openDialog, showError, secretPanel, guardToken, tokenShown, announce } from './ui.js';
import { kEventGroups } from './webhook_events.js';

const kIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;  // API.md's id pattern

function eventPicker(selected) {
  const chosen = new Set(selected);
  // name="events" on the fieldset: pitd's 400 for `events` is shown at the group.
  return h('fieldset', { class: 'event-picker', name: 'events', id: 'wh-events' }, h('legend', {}, 'Events to send'),
    kEventGroups.map(({ title, types }) => h('div', { class: 'event-group' }, h('h3', {}, title),
      types.map(([type, meaning]) => {
        const id = `event-${type.replace(/[^A-Za-z0-9_-]/g, '_')}`;
        return h('div', { class: 'event-option' },
          h('input', { type: 'checkbox', id, name: 'event', value: type, checked: chosen.has(type), 'aria-describedby': `${id}-what` }),
          h('label', { for: id, class: 'check' }, h('code', {}, type)),
          h('span', { id: `${id}-what`, class: 'muted' }, meaning));
      }))));
}

// Resolves with the webhook as pitd answered, or null when dismissed. `existing`: the webhook
// to replace; `taken`: ids of the account's webhooks (an add never replaces one by accident).
export function webhookDialog(existing, taken = []) {
  const title = existing ? `Replace webhook ${existing.id}` : 'Add a webhook';
  let current = existing;
  return openDialog(title, (close, dialog) => {
    // Escape while the secret is shown asks first, as leaving the page does.
    dialog.addEventListener('cancel', (e) => {
      if (tokenShown() && !confirm('This secret is shown only once. Close without copying it?')) e.preventDefault();
    });
    dialog.addEventListener('close', () => guardToken(false));
    const form = h('form', { novalidate: true },
      existing ? h('p', { class: 'note' }, 'Replacing keeps the signing secret: receivers need no change.') : null,
      existing ? null : [
        h('label', { for: 'wh-id' }, 'Id'),
        h('input', { id: 'wh-id', name: 'webhookId', autocomplete: 'off', maxlength: 64, 'aria-describedby': 'wh-id-hint' }),
        h('p', { id: 'wh-id-hint', class: 'muted' }, 'Names it in the audit: letters, digits and . _ : - (at most 64).')],
      h('label', { for: 'wh-url' }, 'URL'),
      h('input', { id: 'wh-url', name: 'url', type: 'url', autocomplete: 'off', value: existing?.url || '',
                   placeholder: 'https://example.com/pitlog-webhook', 'aria-describedby': 'wh-url-hint' }),
      h('p', { id: 'wh-url-hint', class: 'muted' }, 'An https address on the public internet; each delivery is a signed POST (Standard Webhooks).'),
      eventPicker(existing?.events || []),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => close(null) }, 'Cancel'),
        h('button', { type: 'submit', class: 'primary' }, existing ? 'Replace' : 'Add webhook')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const id = existing ? existing.id : form.elements.webhookId.value.trim();
      const url = form.elements.url.value.trim();
      const events = [...form.querySelectorAll('input[name="event"]:checked')].map((i) => i.value);
      if (!kIdPattern.test(id)) return showError(form, { status: 400, field: 'webhookId', message: 'The id is 1-64 letters, digits or . _ : -' });
      if (!existing && taken.includes(id)) return showError(form, { status: 400, field: 'webhookId', message: `A webhook "${id}" exists already: use its Replace.` });
      if (!url) return showError(form, { status: 400, field: 'url', message: 'Give the URL deliveries are sent to.' });
      if (!events.length) return showError(form, { status: 400, field: 'events', message: 'Pick at least one event.' });
      try {
        const { webhook, secret } = await api.putWebhook(id, { url, events }, current?.version);
        announce(`Webhook ${webhook.id} ${existing ? 'replaced' : 'added'}`);
        if (!secret) return close(webhook);
        guardToken(true);
        form.replaceWith(h('div', {}, secretPanel(secret, {
          id: 'new-secret', title: 'Its signing secret', label: 'Signing secret',
          storeHint: 'Your receiver verifies each delivery\'s webhook-signature with it.' }),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => { guardToken(false); close(webhook); } }, 'Done, I copied it'))));
        document.getElementById('new-secret').focus();
      } catch (err) {
        if (err.status !== 412) return showError(form, err);
        // Changed meanwhile: say what it is now; Replace again sends the fresh version.
        current = (await api.webhooks()).find((w) => w.id === id) || null;
        showError(form, { status: 0, message: current
          ? `Someone else changed this webhook meanwhile. Now: ${current.url}, events ${current.events.join(', ')}. Review and Replace again.`
          : 'Someone else removed this webhook meanwhile.' });
      }
    });
    return form;
  });
}
