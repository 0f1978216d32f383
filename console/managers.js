// Who may manage: for admins, every user with a grant or a withdrawal on record (from the
// audit's PermissionChanged events) with a toggle each, and a form for another user. Others see
// why they cannot change it.
import { api, getSession } from './api.js';
import { h, show, showError, announce } from './ui.js';

async function usersOnRecord() {
  const users = new Set();
  let after = 0;
  for (;;) {
    const page = await api.audit({ after, limit: 1000 });
    for (const e of page.events) if (e.type === 'PermissionChanged' && e.data?.userId) users.add(e.data.userId);
    if (page.next === null) return [...users].sort();
    after = page.next;
  }
}

function userRow(state) {
  const id = `allow-${state.userId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const box = h('input', { type: 'checkbox', id, role: 'switch', checked: state.allowed === true });
  const source = h('span', { class: 'muted' }, state.source === 'default' ? 'role decides' : state.source);
  box.addEventListener('change', async () => {
    try {
      const r = await api.setPermission(state.userId, box.checked);
      source.textContent = r.allowed ? 'grant' : 'withdrawal';
      announce(`${state.userId} ${r.allowed ? 'may' : 'may not'} manage now`);
    } catch (err) { box.checked = !box.checked; announce(err.message); }
  });
  return h('li', {}, h('label', { for: id, class: 'check' }, box, ' ', state.userId, ' may manage'), ' ', source);
}

export async function managersScreen() {
  const s = getSession();
  if (s.role !== 'admin') {
    show(h('h1', {}, 'Who may manage'), h('p', { class: 'notice', role: 'note' },
      'Only an admin of the account can grant or withdraw the permission to manage integrations. ',
      s.mayManage ? 'You may manage them: an admin granted it.' : 'You may not manage them: ask an admin to grant it.'));
    return;
  }
  const list = h('ul', { class: 'users' });
  for (const user of await usersOnRecord()) list.append(userRow(await api.permission(user)));
  const form = h('form', { class: 'inline' },
    h('label', { for: 'new-user' }, 'User id'), h('input', { id: 'new-user', name: 'userId', autocomplete: 'off' }),
    h('button', { type: 'submit', value: 'grant' }, 'Allow'), h('button', { type: 'submit', value: 'withdraw' }, 'Withdraw'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const user = form.elements.userId.value.trim();
    try {
      await api.setPermission(user, e.submitter?.value !== 'withdraw');
      list.append(userRow(await api.permission(user)));
      form.reset();
    } catch (err) { showError(form, err.field === 'userId' ? err : { ...err, field: 'userId' }); }
  });
  show(h('h1', {}, 'Who may manage'),
    h('p', {}, 'Admins may manage unless an admin withdrew it; users may once an admin grants it.'),
    list, h('h2', {}, 'Another user'), form);
}
