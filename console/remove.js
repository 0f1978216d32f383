// Delete: confirmed by typing the integration's name. Its history stays (under "deleted").
import { api } from './api.js';
import { h, openDialog, showError, announce } from './ui.js';

export function deleteDialog(integration) {
  return openDialog(`Delete ${integration.name}`, (close) => {
    const input = h('input', { id: 'confirm-name', name: 'confirm', autocomplete: 'off' });
    const button = h('button', { type: 'submit', class: 'danger', disabled: true }, 'Delete this integration');
    input.addEventListener('input', () => { button.disabled = input.value !== integration.name; });
    const form = h('form', { method: 'dialog' },
      h('p', { class: 'warning' }, 'Its tokens stop working at once. Its history stays visible under "Show deleted".'),
      h('label', { for: 'confirm-name' }, `Type "${integration.name}" to confirm`), input,
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => close(null) }, 'Cancel'), button));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (input.value !== integration.name) return;
      try {
        await api.remove(integration.id, integration.version);
        announce(`${integration.name} deleted`);
        close(true);
      } catch (err) { showError(form, err); }
    });
    return form;
  });
}
