// Rotation: "later" (the old token keeps working for the window) and "now" (it stops at once),
// each a warning, Continue, then the new token shown once; Cancel rotation and Expire now while
// a window runs.
import { api } from './api.js';
import { h, openDialog, showError, tokenPanel, guardToken, announce } from './ui.js';

export function rotateDialog(integration, expire) {
  const title = expire === 'now' ? 'Rotate and expire this token now' : 'Rotate and expire this token later';
  return openDialog(title, (close) => {
    const warning = expire === 'now'
      ? h('p', { class: 'warning strong', role: 'alert' }, `Every app using the current token of "${integration.name}" stops working at once. Use this when the token has leaked.`)
      : h('p', { class: 'warning' }, `A new token is issued now. The current token of "${integration.name}" keeps working until the rotation window ends (7 days unless your operator set another), so you can update your apps meanwhile.`);
    const form = h('form', { method: 'dialog' }, warning,
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => close(null) }, 'Cancel'),
        h('button', { type: 'submit', class: expire === 'now' ? 'danger' : 'primary' }, 'Continue')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const { integration: rotated, token } = await api.rotate(integration.id, expire);
        guardToken(true);
        announce(`New token issued for ${rotated.name}`);
        form.replaceWith(h('div', {}, tokenPanel(token, 'token'),
          h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => { guardToken(false); close(rotated); } }, 'Done, I copied it'))));
      } catch (err) { showError(form, err); }
    });
    return form;
  });
}

function confirmAction(title, text, label, run) {
  return openDialog(title, (close) => {
    const form = h('form', { method: 'dialog' }, h('p', {}, text),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => close(null) }, 'Keep it'),
        h('button', { type: 'submit', class: 'primary' }, label)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try { close(await run()); } catch (err) { showError(form, err); }
    });
    return form;
  });
}

export const cancelRotationDialog = (i) => confirmAction('Cancel rotation',
  `The new token of "${i.name}" is revoked and the old one stays current, with no deadline.`,
  'Cancel rotation', () => api.cancelRotation(i.id));

export const expireNowDialog = (i) => confirmAction('Expire the old token now',
  `The old token of "${i.name}" stops working at once; the new one stays.`,
  'Expire now', () => api.expireNow(i.id));
