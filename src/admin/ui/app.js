// The dashboard of vms-billing-mock: a plain client of the admin API (no framework, no build).
// Every admin call carries `X-Mock-Admin: 1` (the access rules' proof that a script, not a
// cross-site form, sent it), the session picked, and the admin token once one is given.
'use strict';

const TOKEN_KEY = 'vms-billing-mock-token';
const MAX_ENTRIES = 500; // entries kept in the list; older ones fall off
const BUCKET_MS = 5000; // one bar of the chart
const BUCKETS = 60; // five minutes of bars

const EXAMPLES = {
  'POST /api/v1/billing/user/manage': {
    login: 'test@mail.com', password: 'qweasdzxc', type: 'type_value',
    billing_info: { billing_id: '123123123', billing_extra: [] }, status: 'active',
    billing_properties: [{ type: 'phone', value: '+80283289362' }],
  },
  'PATCH /api/v1/billing/user/manage': {
    login: 'test@mail.com', status: 'active', permissions_to_attach: ['cloud_archive'],
  },
  'DELETE /api/v1/billing/user/manage': { login: 'test@mail.com' },
  'POST /api/v1/billing/user/manage/licenses': {
    login: 'test@mail.com', analytic_l1: 2, analytic_l2: 0, analytic_l3: null,
  },
  'POST /api/v1/billing/user/manage/licenses/check': { login: 'test@mail.com', analytic_l1: 5 },
  'POST /api/v1/billing/user/manage/cameras': { login: 'test@mail.com', camera_ids: [1, 2] },
  'POST /api/v1/billing/user/manage/intercoms': {
    login: 'test@mail.com', sync: [{ intercom_id: 3, flat: 12 }],
  },
};

const state = {
  session: '',
  token: readToken(),
  entries: [], // newest last
  users: [],
  selected: null,
  sessions: new Set(['default']),
};

const $ = (id) => document.getElementById(id);

function readToken() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    // A token handed over in the fragment (never sent to a server) is kept for this tab only.
    history.replaceState(null, '', location.pathname);
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    return fromHash;
  }
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

function adminHeaders(json) {
  const h = { 'X-Mock-Admin': '1' };
  if (state.session) h['X-Mock-Session'] = state.session;
  if (state.token) h['X-Mock-Admin-Token'] = state.token;
  if (json) h['Content-Type'] = 'application/json';
  return h;
}

function say(text) {
  $('status').textContent = text;
}

async function admin(method, path, body) {
  const init = { method, headers: adminHeaders(body !== undefined) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch('/__admin' + path, init);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (_) {
    json = null;
  }
  if (response.status === 401) {
    $('token-form').hidden = false;
    throw new Error('this mock needs its admin token: enter it above');
  }
  if (!response.ok) {
    throw new Error((json && json.error) || response.status + ' ' + response.statusText);
  }
  return json;
}

// Runs an admin action, reporting its failure in the status line.
async function act(what, fn) {
  try {
    const result = await fn();
    return result;
  } catch (e) {
    say(what + ' failed: ' + e.message);
    return undefined;
  }
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

function statusClass(status) {
  if (!status) return 0;
  return Math.floor(status / 100);
}

// --- the live request stream -------------------------------------------------------------

function sessionOf(entry) {
  return entry.session || 'default';
}

function passes(entry) {
  const status = $('f-status').value.trim();
  const path = $('f-path').value.trim();
  const rule = $('f-rule').value.trim();
  const session = $('f-session').value.trim();
  if (status && !String(entry.status ?? 'dropped').startsWith(status)) return false;
  if (path && !entry.path.includes(path)) return false;
  if (rule && entry.rule !== rule) return false;
  if (session && sessionOf(entry) !== session) return false;
  return true;
}

function entryItem(entry) {
  const status = entry.status === null || entry.status === undefined ? 'dropped' : entry.status;
  const extras = [];
  if (entry.fault) extras.push('fault: ' + entry.fault);
  if (entry.delay_ms) extras.push('delay: ' + entry.delay_ms + ' ms');
  if (entry.rule && entry.rule !== 'default') extras.push('rule: ' + entry.rule);
  if (sessionOf(entry) !== 'default') extras.push('session: ' + sessionOf(entry));
  const summary = el(
    'summary',
    {},
    el('span', { class: 'st s' + statusClass(entry.status) }, status),
    ' ',
    el('strong', {}, entry.method),
    ' ',
    el('code', {}, entry.path + (entry.query ? '?' + entry.query : '')),
    ' ',
    el('time', { datetime: entry.at }, entry.at.slice(11, 23)),
    extras.length ? el('span', { class: 'extras' }, ' (' + extras.join(', ') + ')') : null,
  );
  const details = el(
    'details',
    {},
    summary,
    el('h4', {}, 'Request headers'),
    el('pre', {}, pretty(entry.headers)),
    el('h4', {}, 'Request body'),
    el('pre', {}, pretty(entry.body)),
    el('h4', {}, 'Response'),
    el('pre', {}, entry.response === null || entry.response === undefined
      ? (entry.fault ? 'none: the connection was ' + entry.fault : 'no JSON body')
      : pretty(entry.response)),
  );
  const item = el('li', { class: 'entry' }, details);
  item.dataset.status = String(status);
  return item;
}

function renderStream() {
  const list = $('stream');
  list.replaceChildren();
  for (let i = state.entries.length - 1; i >= 0; i--) {
    const entry = state.entries[i];
    if (passes(entry)) list.append(entryItem(entry));
  }
}

function addEntry(entry) {
  state.entries.push(entry);
  if (state.entries.length > MAX_ENTRIES) state.entries.shift();
  const session = sessionOf(entry);
  if (!state.sessions.has(session)) {
    state.sessions.add(session);
    $('sessions-seen').append(el('option', { value: session }));
  }
  if (passes(entry)) {
    const list = $('stream');
    list.prepend(entryItem(entry));
    while (list.children.length > MAX_ENTRIES) list.lastElementChild.remove();
  }
  drawChart();
  if (session === (state.session || 'default')) {
    if (entry.path.startsWith('/api/')) refreshSoon();
  }
}

async function readStream() {
  for (;;) {
    try {
      const response = await fetch('/__admin/requests/stream', { headers: adminHeaders(false) });
      if (response.status === 401) {
        $('token-form').hidden = false;
        $('stream-state').textContent = '(needs the admin token)';
        await waitForToken();
        continue;
      }
      if (!response.ok || !response.body) throw new Error('HTTP ' + response.status);
      $('stream-state').textContent = '(live)';
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          onEvent(block);
        }
      }
      $('stream-state').textContent = '(ended; reconnecting…)';
    } catch (e) {
      $('stream-state').textContent = '(disconnected: ' + e.message + '; retrying)';
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function onEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (!data.length) return;
  try {
    const payload = JSON.parse(data.join('\n'));
    if (event === 'request') addEntry(payload);
    else if (event === 'lagged') say('the stream skipped ' + payload.missed + ' requests (too many at once)');
  } catch (_) {
    say('an unreadable event arrived on the stream');
  }
}

let tokenWaiters = [];
function waitForToken() {
  return new Promise((resolve) => tokenWaiters.push(resolve));
}

async function loadHistory() {
  const journal = await act('Reading the journal', () => admin('GET', '/requests'));
  if (!journal) return;
  // The journal holds the picked session's entries (the stream may already have shown some);
  // entries of other sessions seen on the stream stay.
  const current = state.session || 'default';
  const others = state.entries.filter((e) => sessionOf(e) !== current);
  const mine = journal.requests.map((e) => Object.assign({ session: current }, e));
  state.entries = others.concat(mine).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  if (state.entries.length > MAX_ENTRIES) state.entries.splice(0, state.entries.length - MAX_ENTRIES);
  renderStream();
  drawChart();
}

// --- the chart ---------------------------------------------------------------------------

function drawChart() {
  const now = Date.now();
  const start = now - BUCKETS * BUCKET_MS;
  const buckets = Array.from({ length: BUCKETS }, () => ({ 0: 0, 2: 0, 3: 0, 4: 0, 5: 0 }));
  const totals = { 0: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
  let lastMinute = 0;
  for (const entry of state.entries) {
    const t = Date.parse(entry.at);
    if (!(t >= start)) continue;
    const i = Math.min(BUCKETS - 1, Math.floor((t - start) / BUCKET_MS));
    const k = statusClass(entry.status);
    const key = k in totals ? k : 0;
    buckets[i][key] += 1;
    totals[key] += 1;
    if (t >= now - 60000) lastMinute += 1;
  }
  const max = Math.max(1, ...buckets.map((b) => b[0] + b[2] + b[3] + b[4] + b[5]));
  const svg = $('chart');
  const ns = 'http://www.w3.org/2000/svg';
  svg.replaceChildren();
  const width = 600 / BUCKETS;
  buckets.forEach((b, i) => {
    let y = 120;
    for (const k of [2, 3, 4, 5, 0]) {
      if (!b[k]) continue;
      const h = (b[k] / max) * 110;
      y -= h;
      const rect = document.createElementNS(ns, 'rect');
      rect.setAttribute('x', String(i * width + 1));
      rect.setAttribute('y', String(y));
      rect.setAttribute('width', String(width - 2));
      rect.setAttribute('height', String(h));
      rect.setAttribute('class', 'k' + k);
      svg.append(rect);
    }
  });
  const total = totals[0] + totals[2] + totals[3] + totals[4] + totals[5];
  $('glance-text').textContent = total === 0
    ? 'No requests in the last 5 minutes.'
    : `${(lastMinute / 60).toFixed(2)} requests/s over the last minute; last 5 minutes: ${total} ` +
      `(2xx ${totals[2]}, 3xx ${totals[3]}, 4xx ${totals[4]}, 5xx ${totals[5]}, dropped ${totals[0]}).`;
}

// --- users --------------------------------------------------------------------------------

async function loadUsers() {
  const answer = await act('Reading users', () => admin('GET', '/users'));
  if (!answer) return;
  state.users = answer.users;
  renderUsers();
  if (state.selected) {
    const user = state.users.find((u) => u.login === state.selected);
    if (user) showUser(user, false);
    else hideUser();
  }
}

function renderUsers() {
  const q = $('user-search').value.trim().toLowerCase();
  const rows = state.users
    .filter((u) => !q || [u.id, u.login, u.name, u.type, u.status]
      .some((v) => v !== null && String(v).toLowerCase().includes(q)))
    .map((u) => el(
      'tr',
      {},
      el('td', {}, u.id),
      el('td', {}, u.login),
      el('td', {}, u.type),
      el('td', {}, u.status),
      el('td', {}, u.created_at),
      el('td', {}, u.updated_at),
      el('td', {}, u.deleted_at ?? '—'),
      el('td', {}, el('button', {
        type: 'button',
        class: 'details',
        'aria-label': 'Details of ' + u.login,
        onclick: () => showUser(u, true),
      }, 'Details')),
    ));
  $('users').tBodies[0].replaceChildren(...rows);
  $('users-count').textContent = `(${state.users.length})`;
}

function hideUser() {
  state.selected = null;
  $('user-detail').hidden = true;
}

function showUser(user, focus) {
  state.selected = user.login;
  $('user-detail-h').textContent = 'User ' + user.login;
  const licences = Object.entries(user.licenses || {})
    .map(([level, n]) => `${level}: ${n === null ? 'none' : n}`).join(', ');
  const cameras = user.cameras || {};
  const items = [
    ['id', user.id],
    ['name', user.name ?? '—'],
    ['type', user.type],
    ['status', user.status],
    ['created', user.created_at],
    ['updated', user.updated_at],
    ['deleted', user.deleted_at ?? '—'],
    ['permissions', (user.permissions || []).join(', ') || 'none'],
    ['licences', licences || 'none'],
    ['cameras', `ids: ${(cameras.camera_ids || []).join(', ') || 'none'}; external ids: ${(cameras.camera_external_ids || []).join(', ') || 'none'}; public groups: ${(cameras.public_group_external_ids || []).join(', ') || 'none'}; private groups: ${(cameras.private_group_external_ids || []).map((g) => JSON.stringify(g)).join(', ') || 'none'}`],
    ['intercoms', (user.intercoms || []).map((i) => JSON.stringify(i)).join(', ') || 'none'],
    ['billing info', user.billing_info === null ? 'none' : JSON.stringify(user.billing_info)],
    ['billing properties', (user.billing_properties || []).map((p) => `${p.type}: ${p.value}`).join(', ') || 'none'],
  ];
  $('user-detail-list').replaceChildren(...items.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-field': k }, v)]));
  $('user-detail').hidden = false;
  if (focus) $('user-detail-h').focus();
}

// --- scenarios ----------------------------------------------------------------------------

async function loadScenarios() {
  const answer = await act('Reading scenarios', () => admin('GET', '/scenarios'));
  if (!answer) return;
  const rows = answer.scenarios.map((s) => {
    const active = s.name === answer.active;
    return el(
      'tr',
      { class: active ? 'active' : '' },
      el('th', { scope: 'row' }, s.name),
      el('td', {}, s.description),
      el('td', {}, s.users),
      el('td', {}, s.rules),
      el('td', {}, active
        ? el('strong', {}, 'active')
        : el('button', {
          type: 'button',
          'aria-label': 'Activate ' + s.name,
          'data-scenario': s.name,
          onclick: () => activate(s.name),
        }, 'Activate')),
    );
  });
  $('scenarios').tBodies[0].replaceChildren(...rows);
  await loadRules();
}

async function loadRules() {
  const [source, counts] = await Promise.all([
    act('Reading the scenario', () => admin('GET', '/scenario')),
    act('Reading rule counts', () => admin('GET', '/scenario/rules')),
  ]);
  if (!source || !counts) return;
  $('active-name').textContent = '(' + counts.scenario + ')';
  const rules = source.rules || [];
  const rows = counts.rules.map((c, i) => {
    const rule = rules[i] || {};
    return el(
      'tr',
      {},
      el('th', { scope: 'row' }, c.label),
      el('td', {}, el('code', {}, JSON.stringify(rule.match ?? {}))),
      el('td', {}, el('code', {}, JSON.stringify(rule.respond ?? {}))),
      el('td', { 'data-count': 'seen' }, c.seen),
      el('td', { 'data-count': 'answered' }, c.answered),
      el('td', {}, c.times ?? '∞'),
    );
  });
  if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: '6' }, 'No rules: the real API\'s behaviour.')));
  $('rules').tBodies[0].replaceChildren(...rows);
}

async function activate(name) {
  const done = await act('Activating ' + name, () => admin('POST', '/scenarios/' + encodeURIComponent(name) + '/activate'));
  if (done) say(`Scenario ${name} is active (${done.users} seed users).`);
  await refreshAll();
}

// --- controls -----------------------------------------------------------------------------

async function loadClock() {
  const answer = await act('Reading the clock', () => admin('GET', '/clock'));
  if (!answer) return;
  $('clock').textContent = answer.clock;
  $('clock-mode').textContent = answer.frozen ? '(frozen)' : '(real time)';
}

let refreshTimer = null;
function refreshSoon() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    loadUsers();
    loadRules();
    loadClock();
  }, 150);
}

async function refreshAll() {
  await Promise.all([loadUsers(), loadScenarios(), loadClock()]);
}

function wire() {
  $('session-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    state.session = $('session').value.trim();
    hideUser();
    say('Session: ' + (state.session || 'default'));
    await Promise.all([refreshAll(), loadHistory()]);
  });
  $('token-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    state.token = $('token').value;
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $('token').value = '';
    $('token-form').hidden = true;
    say('Token set for this tab.');
    tokenWaiters.forEach((resolve) => resolve());
    tokenWaiters = [];
    await Promise.all([refreshAll(), loadHistory()]);
  });
  $('reset').addEventListener('click', async () => {
    const done = await act('Reset', () => admin('POST', '/reset'));
    if (done) say(`Reset: ${done.users} seed users.`);
    hideUser();
    await refreshAll();
  });
  $('clock-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const at = $('clock-at').value.trim();
    if (!at) {
      say('Give an instant such as 2023-05-02T10:18:50Z.');
      return;
    }
    if (await act('Setting the clock', () => admin('PUT', '/clock', { clock: at }))) say('Clock frozen.');
    await loadClock();
  });
  $('clock-real').addEventListener('click', async () => {
    if (await act('Setting the clock', () => admin('PUT', '/clock', { clock: null }))) say('Clock on real time.');
    await loadClock();
  });
  for (const id of ['f-status', 'f-path', 'f-rule', 'f-session']) {
    $(id).addEventListener('input', renderStream);
  }
  $('filter-form').addEventListener('submit', (e) => e.preventDefault());
  $('clear-stream').addEventListener('click', () => {
    state.entries = [];
    renderStream();
    drawChart();
  });
  $('user-search').addEventListener('input', renderUsers);
  $('users-refresh').addEventListener('click', loadUsers);
  $('try-endpoint').addEventListener('change', showExample);
  $('try-example').addEventListener('click', showExample);
  $('try-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    await tryIt();
  });
}

// --- try it -------------------------------------------------------------------------------

function showExample() {
  $('try-body').value = pretty(EXAMPLES[$('try-endpoint').value]);
}

async function tryIt() {
  const [method, path] = $('try-endpoint').value.split(' ');
  const headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
  if (state.session) headers['X-Mock-Session'] = state.session;
  $('try-answer').textContent = 'Sending…';
  try {
    const response = await fetch(path, { method, headers, body: $('try-body').value });
    const text = await response.text();
    let body = text;
    try {
      body = pretty(JSON.parse(text));
    } catch (_) {
      // not JSON: shown as it came
    }
    const shown = ['x-mock-rule', 'x-mock-diagnostic', 'content-type', 'retry-after']
      .filter((h) => response.headers.has(h))
      .map((h) => `${h}: ${response.headers.get(h)}`);
    $('try-answer').textContent = `${response.status} ${response.statusText}\n${shown.join('\n')}\n\n${body}`;
  } catch (e) {
    $('try-answer').textContent = 'No answer: ' + e.message + ' (a scripted fault drops the connection)';
  }
}

// --- start --------------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', async () => {
  wire();
  showExample();
  setInterval(drawChart, BUCKET_MS);
  readStream();
  await Promise.all([refreshAll(), loadHistory()]);
  document.body.dataset.ready = 'true';
});
