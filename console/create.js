// "Create new Integration": name and description -> scopes -> the token, shown once.
import { api } from './api.js';
import { h, show, showError, tokenPanel, guardToken, announce } from './ui.js';

// API.md's rules, checked here first so the error appears at the field before a round trip;
// pitd checks them again and its answer is shown the same way.
export function checkDetails(form) {
  const name = form.elements.name.value.trim();
  const description = form.elements.description.value;
  if (!name) return { field: 'name', message: 'Give the integration a name.' };
  if ([...name].length > 100) return { field: 'name', message: 'The name is at most 100 characters.' };
  if (/[\u0000-\u001f\u007f]/.test(name)) return { field: 'name', message: 'The name may not hold control characters.' };
  if ([...description].length > 1000) return { field: 'description', message: 'The description is at most 1000 characters.' };
  return null;
}

export function detailsForm(values, submitLabel, onSubmit) {
  const form = h('form', { novalidate: true },
    h('label', { for: 'f-name' }, 'Name'),
    h('input', { id: 'f-name', name: 'name', required: true, maxlength: 100, value: values.name || '', autocomplete: 'off' }),
    h('label', { for: 'f-description' }, 'Description (optional)'),
    h('textarea', { id: 'f-description', name: 'description', rows: 3, maxlength: 1000 }, values.description || ''),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, submitLabel)));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const problem = checkDetails(form);
    if (problem) return showError(form, { ...problem, status: 400 });
    onSubmit({ name: form.elements.name.value.trim(), description: form.elements.description.value }, form);
  });
  return form;
}

// Scopes grouped by resource (the part before the last '.'), read-only and write side by side,
// with a search box.
export function scopePicker(catalogue, selected) {
  const chosen = new Set(selected);
  const groups = new Map();
  for (const scope of catalogue) {
    const dot = scope.lastIndexOf('.');
    const resource = dot > 0 ? scope.slice(0, dot) : scope;
    if (!groups.has(resource)) groups.set(resource, []);
    groups.get(resource).push(scope);
  }
  const rows = [];
  const fieldset = h('fieldset', { class: 'scopes-picker' }, h('legend', {}, 'Scopes'),
    h('p', { class: 'hint' }, 'Least privilege: pick only what the app needs. Prefer read-only where it only reads.'));
  const search = h('input', { type: 'search', id: 'scope-search', 'aria-controls': 'scope-groups' });
  const list = h('div', { id: 'scope-groups' });
  for (const [resource, scopes] of groups) {
    const group = h('div', { class: 'scope-group', 'data-resource': resource }, h('h3', {}, resource),
      h('div', { class: 'scope-options' }, scopes.sort((a, b) => (a.endsWith('readonly') ? -1 : b.endsWith('readonly') ? 1 : a.localeCompare(b))).map((scope) => {
        const id = `scope-${scope.replace(/[^A-Za-z0-9_-]/g, '_')}`;
        return h('label', { for: id, class: 'check' },
          h('input', { type: 'checkbox', id, name: 'scopes', value: scope, checked: chosen.has(scope) }), ' ',
          scope.endsWith('.readonly') ? 'Read-only' : scope.slice(scope.lastIndexOf('.') + 1), ' ', h('code', {}, scope));
      })));
    rows.push(group);
    list.append(group);
  }
  search.addEventListener('input', () => {
    const q = search.value.trim().toLowerCase();
    for (const g of rows) g.hidden = q && !g.textContent.toLowerCase().includes(q);
  });
  fieldset.append(h('label', { for: 'scope-search' }, 'Search scopes'), search, list);
  return fieldset;
}

export const pickedScopes = (form) => [...form.querySelectorAll('input[name="scopes"]:checked')].map((i) => i.value);

export async function createScreen() {
  const catalogue = await api.scopes();
  const steps = h('ol', { class: 'steps', 'aria-label': 'Steps' },
    h('li', { id: 'step-1' }, 'Name'), h('li', { id: 'step-2' }, 'Scopes'), h('li', { id: 'step-3' }, 'Token'));
  const mark = (n) => { for (let i = 1; i <= 3; ++i) document.getElementById(`step-${i}`).toggleAttribute('aria-current', i === n); };
  const area = h('div');
  let details = { name: '', description: '' };

  const stepOne = () => {
    mark(1);
    area.replaceChildren(h('h2', {}, 'Step 1 of 3: name and description'),
      detailsForm(details, 'Next', (values) => { details = values; stepTwo(); }));
    area.querySelector('input').focus();
  };
  const stepTwo = (selected = []) => {
    mark(2);
    const form = h('form', { novalidate: true }, scopePicker(catalogue, selected),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => stepOne() }, 'Back'),
        h('button', { type: 'submit', class: 'primary' }, 'Create')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const scopes = pickedScopes(form);
      if (!scopes.length) return showError(form, { status: 400, message: 'Pick at least one scope.' });
      try {
        const created = await api.create({ ...details, scopes });
        stepThree(created);
      } catch (err) {
        if (err.field === 'name' || err.field === 'description') { stepOne(); showError(area.querySelector('form'), err); }
        else showError(form, err);
      }
    });
    area.replaceChildren(h('h2', {}, 'Step 2 of 3: scopes'), form);
    area.querySelector('input').focus();
  };
  const stepThree = ({ integration, token }) => {
    mark(3);
    guardToken(true);
    announce(`Integration ${integration.name} created`);
    area.replaceChildren(h('h2', {}, 'Step 3 of 3: your token'),
      h('p', {}, `"${integration.name}" is created with ${integration.scopes.length} scope(s).`),
      tokenPanel(token),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => { guardToken(false); location.hash = '#/'; } }, 'Done, I copied it')));
    area.querySelector('#new-token').focus();
  };

  show(h('h1', {}, 'Create new Integration'), steps, area);
  stepOne();
}
