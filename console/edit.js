// Edit: name and description -> Next -> scopes -> Update. The token does not change. The edit
// is sent with If-Match: a concurrent change answers 412, and the dialog shows the fresh state.
import { api } from './api.js';
import { h, openDialog, showError, announce } from './ui.js';
import { detailsForm, scopePicker, pickedScopes } from './create.js';

export async function editDialog(integration) {
  const catalogue = await api.scopes();
  return openDialog(`Edit ${integration.name}`, (close, dialog) => {
    let current = integration;
    let details = { name: current.name, description: current.description };
    const area = h('div');
    const note = h('p', { class: 'note' }, 'Editing does not change the token: apps using it keep working.');
    const conflict = (err, form) => {
      showError(form, err);
      if (err.status === 412) api.get(current.id).then((fresh) => {
        current = fresh;
        details = { name: fresh.name, description: fresh.description };
        const p = form.querySelector('.form-error, .field-error');
        stepOne();
        area.querySelector('form').prepend(h('p', { class: 'form-error', role: 'alert' },
          `${p ? p.textContent : ''} Now: "${fresh.name}", scopes ${fresh.scopes.join(', ')}.`));
      });
    };
    const stepOne = () => {
      area.replaceChildren(detailsForm(details, 'Next', (values) => { details = values; stepTwo(); }),
        h('button', { type: 'button', onclick: () => close(null) }, 'Cancel'));
    };
    const stepTwo = () => {
      const form = h('form', { novalidate: true }, scopePicker(catalogue, current.scopes),
        h('div', { class: 'actions' },
          h('button', { type: 'button', onclick: stepOne }, 'Back'),
          h('button', { type: 'submit', class: 'primary' }, 'Update')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const scopes = pickedScopes(form);
        if (!scopes.length) return showError(form, { status: 400, message: 'Pick at least one scope.' });
        try {
          const updated = await api.edit(current.id, current.version, { ...details, scopes });
          announce(`${updated.name} updated`);
          close(updated);
        } catch (err) { conflict(err, form); }
      });
      area.replaceChildren(form);
    };
    stepOne();
    return [note, area];
  });
}
