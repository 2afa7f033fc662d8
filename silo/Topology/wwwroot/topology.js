// SessionMesh live topology: plain JS, no library. The key stays in sessionStorage and goes only
// into Authorization headers; the event stream is read with fetch (EventSource cannot send headers).
'use strict';

const API = '/api/session-mesh';
const PAGE_ROWS = 100;        // lineage rows drawn per page
const CHAIN_SHOWN = 6;        // longer chains show their first and last nodes, the middle collapsed
const SESSION_PAGES_AT_START = 4; // 4 × 500 newest sessions at start; older ones on demand
// Changed sessions and agents are read one by one, at most this many at a time: Chromium holds six
// connections per host, one is the event stream, one stays free for the operator's actions. Reads
// beyond the bound wait in the dirty sets, where repeated changes of one id merge into one read.
const READS_IN_FLIGHT = 4;
// More changed sessions than this waiting: the newest pages are read again instead (a few paged
// requests instead of hundreds of single reads).
const BACKLOG_RELOAD = 300;
const $ = (id) => document.getElementById(id);

const state = {
  key: sessionStorage.getItem('sessionmesh.key') || '',
  sessions: new Map(),     // id -> snapshot
  leases: new Map(),       // session id -> 'alive' | 'stale'
  agents: new Map(),       // id -> { id, status, lease, snapshot? , specs:Set }
  specs: new Map(),        // specialization -> Set(agent id)
  rows: [],                // root ids in display order (newest first)
  rowOf: new Map(),        // session id -> root id
  nodes: new Map(),        // session id -> node element (only those drawn)
  cursor: null, page: 0, selected: null,
  lastEventId: null, streamAbort: null,
  dirtySessions: new Set(), dirtyAgents: new Set(), statsDirty: false, flushScheduled: false,
  flushing: false, needsReload: false, streamOn: false, behind: false,
  expanded: new Set(),
};
window.__topology = state; // for tests and the benchmark

// ---------- HTTP ----------
async function api(method, path, body) {
  const init = { method, headers: { Authorization: 'Bearer ' + state.key } };
  if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  const response = await fetch(API + path, init);
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(json && (json.detail || json.title) || ('HTTP ' + response.status));
    error.status = response.status; error.problem = json;
    throw error;
  }
  return json;
}

function showProblem(error) {
  const box = $('problem');
  const p = error.problem;
  box.textContent = p ? `${p.title || 'Refused'}${p.detail ? ': ' + p.detail : ''}` : String(error.message || error);
  box.hidden = false;
}
function clearProblem() { $('problem').hidden = true; $('problem').textContent = ''; }

// ---------- sign in ----------
$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  state.key = $('key').value.trim();
  $('key').value = '';
  try {
    await api('GET', '/stats');
    sessionStorage.setItem('sessionmesh.key', state.key);
    start();
  } catch (error) {
    state.key = '';
    $('signin-error').textContent = error.problem ? `${error.problem.title}${error.problem.detail ? ': ' + error.problem.detail : ''}` : String(error.message);
  }
});
$('signout').addEventListener('click', () => { sessionStorage.removeItem('sessionmesh.key'); location.reload(); });

async function start() {
  $('signin').hidden = true; $('app').hidden = false; $('signout').hidden = false;
  connect();
}

// ---------- event stream ----------
async function connect() {
  let backoff = 250;
  for (;;) {
    const abort = new AbortController();
    state.streamAbort = abort;
    try {
      const headers = { Authorization: 'Bearer ' + state.key, Accept: 'text/event-stream' };
      if (state.lastEventId) headers['Last-Event-ID'] = state.lastEventId;
      const response = await fetch(API + '/events/stream', { headers, signal: abort.signal, cache: 'no-store' });
      if (response.status === 401 || response.status === 403) { sessionStorage.removeItem('sessionmesh.key'); location.reload(); return; }
      if (!response.ok) throw new Error('HTTP ' + response.status);
      setConnection(true);
      backoff = 250;
      await readEvents(response.body);
    } catch (error) { /* dropped: resume below */ }
    setConnection(false);
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 5000);
  }
}

function setConnection(on) { state.streamOn = on; showConnection(); }

// 'live' only while the stream is open and every change it announced was read; 'catching up' while
// reads failed and are being retried (what is shown may be behind the mesh).
function showConnection() {
  const c = $('connection');
  const [text, cls] = !state.streamOn ? ['reconnecting', 'off'] : state.behind ? ['catching up', 'behind'] : ['live', 'on'];
  c.textContent = text; c.className = 'conn ' + cls;
}

async function readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer[end] === '\r' ? 4 : 2));
      let type = 'message', id = null, data = '';
      for (const line of block.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const v = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') type = v; else if (field === 'id') id = v; else if (field === 'data') data += (data ? '\n' : '') + v;
      }
      if (id !== null) state.lastEventId = id;
      onEvent(type, data ? JSON.parse(data) : null);
    }
  }
}

function onEvent(type, data) {
  if (type === 'ready' || type === 'reset') {
    // First connection, or events were lost: (re)load what is shown.
    state.needsReload = true;
    scheduleFlush();
    return;
  }
  if (type !== 'topology') return;
  if (data.kind.startsWith('Session')) state.dirtySessions.add(data.subject);
  else state.dirtyAgents.add(data.subject);
  state.statsDirty = true;
  scheduleFlush();
}

// Everything that arrived within one animation frame is fetched and drawn together. One flush runs
// at a time; what arrives while it runs is read by its next round, so reads never pile up.
function scheduleFlush() {
  if (state.flushScheduled || state.flushing) return;
  state.flushScheduled = true;
  requestAnimationFrame(flush);
}

async function flush() {
  state.flushScheduled = false;
  if (state.flushing) return;
  state.flushing = true;
  let backoff = 250;
  try {
    while (state.needsReload || state.dirtySessions.size || state.dirtyAgents.size || state.statsDirty) {
      const failed = await flushRound();
      state.behind = failed;
      showConnection();
      if (!failed) { backoff = 250; continue; }
      // Reads failed (the silo is busy or the browser refused them): what failed is dirty again and
      // is read after a pause, never dropped.
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 5000);
    }
  } finally { state.flushing = false; }
}

/** One round of reads and redraws; true if any read failed and was put back to be read again. */
async function flushRound() {
  if (state.needsReload || state.dirtySessions.size > BACKLOG_RELOAD) {
    state.needsReload = false;
    const selected = state.dirtySessions.has(state.selected);
    state.dirtySessions.clear();
    try { await reload(); } catch { state.needsReload = true; return true; }
    if (selected) showDetail(state.selected);
    return false;
  }
  const sessions = [...state.dirtySessions]; state.dirtySessions.clear();
  const agents = new Set(state.dirtyAgents); state.dirtyAgents.clear();
  const stats = state.statsDirty; state.statsDirty = false;
  let failed = false;
  await readEach(sessions, (id) => api('GET', '/sessions/' + id), (s) => {
    upsertSession(s);
    if (s.agent_id) agents.add(s.agent_id);
  }, (id) => { state.dirtySessions.add(id); failed = true; });
  await readEach([...agents], (id) => api('GET', '/agents/' + encodeURIComponent(id)), upsertAgent,
    (id) => { state.dirtyAgents.add(id); failed = true; });
  if (stats && !await loadStats()) { state.statsDirty = true; failed = true; }
  if (state.selected && sessions.includes(state.selected)) showDetail(state.selected);
  window.dispatchEvent(new CustomEvent('topology-drawn', { detail: { sessions, agents: [...agents] } }));
  return failed;
}

/**
 * Reads every id, READS_IN_FLIGHT at a time, then hands the answers to <apply> in the order of the
 * ids (the order the events came in: a parent's handoff before its child's spawn is drawn). A read
 * the mesh refused for good (4xx: gone, or not for this key) is dropped; any other failure goes to
 * <retry>.
 */
async function readEach(ids, read, apply, retry) {
  const answers = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      try { answers[i] = await read(ids[i]); } catch (error) {
        if (!(error.status >= 400 && error.status < 500 && error.status !== 429)) retry(ids[i]);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, ids.length) }, worker));
  for (const answer of answers) if (answer) apply(answer);
}

// ---------- loading ----------
// Reads the newest pages of sessions, the leases, the agents and the stats, and redraws. Called
// only from a flush round, so it never runs beside itself or beside single reads.
async function reload() {
  const sessions = new Map();
  let cursor = null, pages = 0;
  do {
    cursor = await loadSessionPage(sessions, cursor);
  } while (cursor && ++pages < SESSION_PAGES_AT_START);
  await Promise.all([loadLeases(), loadAgents()]);
  state.sessions = sessions; state.cursor = cursor; $('more').hidden = !cursor;
  state.statsDirty = !await loadStats();
  rebuildRows();
  drawPage();
}

/** Reads one page of sessions (newest first) into <into>; answers the next page's cursor, or null. */
async function loadSessionPage(into, cursor) {
  const page = await api('GET', '/sessions?status=all&limit=500' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
  for (const s of page.sessions) into.set(s.id, s);
  return page.next_cursor || null;
}

$('more').addEventListener('click', () => act(async () => {
  state.cursor = await loadSessionPage(state.sessions, state.cursor);
  $('more').hidden = !state.cursor;
  rebuildRows(); drawPage();
}));

async function loadLeases() {
  const leases = new Map();
  for (const filter of ['stale', 'alive']) {
    let cursor = null;
    do {
      const page = await api('GET', `/alive?filter=${filter}&limit=500` + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
      for (const d of page.sessions) leases.set(d.session.id, filter);
      cursor = page.next_cursor;
    } while (cursor);
  }
  state.leases = leases;
}

async function loadAgents() {
  const specs = await api('GET', '/registry');
  state.specs.clear();
  for (const { specialization } of specs) {
    const ids = new Set();
    let after = null;
    for (;;) {
      const page = await api('GET', `/registry/${encodeURIComponent(specialization)}/agents?limit=500` + (after ? '&after=' + encodeURIComponent(after) : ''));
      for (const a of page) {
        ids.add(a.agent_id);
        const known = state.agents.get(a.agent_id) || { id: a.agent_id, specs: new Set() };
        known.status = a.status; known.lease = a.lease; known.specs.add(specialization);
        state.agents.set(a.agent_id, known);
      }
      if (page.length < 500) break;
      after = page[page.length - 1].agent_id;
    }
    state.specs.set(specialization, ids);
  }
  drawAgents();
}

/** Reads and shows the mesh's counts; false if the read failed. */
async function loadStats() {
  try {
    const s = await api('GET', '/stats');
    const n = s.sessions;
    $('stats').innerHTML = '';
    for (const [label, value] of [['sessions', n.total], ['active', n.active], ['handed off', n.handed_off], ['completed', n.completed], ['failed', n.failed], ['expired', s.sessions_expired], ['agents lost', s.agents_lost], ['agents killed', s.agents_killed]]) {
      const span = document.createElement('span'); span.innerHTML = `${label} <b></b>`; span.querySelector('b').textContent = value;
      $('stats').append(span);
    }
    return true;
  } catch { return false; }
}

// Leases change without events (alive → stale): refresh them, paged, every few seconds.
setInterval(async () => {
  if (!state.key || $('app').hidden) return;
  try {
    const before = state.leases;
    await loadLeases();
    for (const id of new Set([...before.keys(), ...state.leases.keys()])) if (before.get(id) !== state.leases.get(id)) updateNode(id);
  } catch { /* next time */ }
}, 5000);

// ---------- sessions as lineage rows ----------
function rootOf(s) {
  let current = s, guard = 0;
  while (current.parent_session && state.sessions.has(current.parent_session) && guard++ < 10000) current = state.sessions.get(current.parent_session);
  return current.parent_session && !state.sessions.has(current.parent_session) ? current.id : current.id;
}

function chainOf(rootId) {
  const chain = [];
  let id = rootId, guard = 0;
  while (id && state.sessions.has(id) && guard++ < 10000) {
    const s = state.sessions.get(id);
    chain.push(s);
    id = s.child_sessions && s.child_sessions.length ? s.child_sessions[s.child_sessions.length - 1] : null;
  }
  return chain;
}

function rebuildRows() {
  state.rowOf.clear();
  const roots = [];
  for (const s of state.sessions.values()) {
    const root = rootOf(s);
    state.rowOf.set(s.id, root);
    if (root === s.id) roots.push(s);
  }
  roots.sort((a, b) => (b.created_at > a.created_at ? 1 : b.created_at < a.created_at ? -1 : 0));
  state.rows = roots.map((s) => s.id);
}

function filters() {
  return {
    status: $('f-status').value, agent: $('f-agent').value.trim().toLowerCase(), spec: $('f-spec').value.trim().toLowerCase(),
    issue: $('f-issue').value.trim(), id: $('f-id').value.trim().toLowerCase(),
  };
}

function matches(s, f) {
  if (f.status && s.status !== f.status) return false;
  if (f.agent && !(s.agent_name.toLowerCase().includes(f.agent) || (s.agent_id || '').toLowerCase().includes(f.agent))) return false;
  if (f.issue && String(s.context && s.context.issue_number || '') !== f.issue) return false;
  if (f.id && !s.id.includes(f.id)) return false;
  if (f.spec) {
    const agent = s.agent_id && state.agents.get(s.agent_id);
    if (!agent || ![...agent.specs].some((x) => x.toLowerCase().includes(f.spec))) return false;
  }
  return true;
}

function visibleRows() {
  const f = filters();
  const any = f.status || f.agent || f.spec || f.issue || f.id;
  return any ? state.rows.filter((root) => chainOf(root).some((s) => matches(s, f))) : state.rows;
}

for (const id of ['f-status', 'f-agent', 'f-spec', 'f-issue', 'f-id']) $(id).addEventListener('input', () => { state.page = 0; drawPage(); });
$('prev').addEventListener('click', () => { state.page = Math.max(0, state.page - 1); drawPage(); });
$('next').addEventListener('click', () => { state.page++; drawPage(); });

// A full redraw only on user actions (filter, page); events update single rows or nodes.
function drawPage() {
  const rows = visibleRows();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
  state.page = Math.min(state.page, pages - 1);
  $('page').textContent = `page ${state.page + 1} / ${pages}`;
  $('shown').textContent = `${rows.length} lineages, ${state.sessions.size} sessions loaded`;
  const container = $('lineages');
  container.textContent = '';
  state.nodes.clear();
  for (const root of rows.slice(state.page * PAGE_ROWS, (state.page + 1) * PAGE_ROWS)) container.append(drawRow(root));
}

function drawRow(root) {
  const row = document.createElement('div');
  row.className = 'lineage'; row.dataset.root = root;
  const chain = chainOf(root);
  const collapse = chain.length > CHAIN_SHOWN && !state.expanded.has(root);
  const shown = collapse ? [...chain.slice(0, 2), null, ...chain.slice(-2)] : chain;
  shown.forEach((s, i) => {
    if (i > 0) row.append(edge(shown[i - 1], s));
    if (s === null) {
      const more = document.createElement('button');
      more.type = 'button'; more.className = 'collapsed';
      more.textContent = `+${chain.length - 4} handoffs`;
      more.addEventListener('click', () => { state.expanded.add(root); forgetNodes(row); row.replaceWith(drawRow(root)); });
      row.append(more);
    } else row.append(drawNode(s));
  });
  return row;
}

const SVG = 'http://www.w3.org/2000/svg';
function edge(from, to) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'edge'); svg.setAttribute('viewBox', '0 0 42 16');
  if (from && to) { svg.dataset.from = from.id; svg.dataset.to = to.id; }
  const path = document.createElementNS(SVG, 'path'); path.setAttribute('d', 'M2 8 H32');
  const head = document.createElementNS(SVG, 'polygon'); head.setAttribute('points', '32,3 40,8 32,13');
  const title = document.createElementNS(SVG, 'title'); title.textContent = 'handoff';
  svg.append(title, path, head);
  return svg;
}

function leaseState(s) {
  if (s.status === 'Failed' && s.error === 'heartbeat timeout') return 'expired';
  if (s.status !== 'Active') return null;
  return state.leases.get(s.id) || null;
}

function age(iso) {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return seconds < 60 ? `${Math.round(seconds)}s` : seconds < 3600 ? `${Math.round(seconds / 60)}m` : seconds < 86400 ? `${Math.round(seconds / 3600)}h` : `${Math.round(seconds / 86400)}d`;
}

function drawNode(s) {
  const node = document.createElement('div');
  node.className = 'node'; node.dataset.session = s.id; node.tabIndex = 0;
  node.addEventListener('click', () => showDetail(s.id));
  fillNode(node, s);
  state.nodes.set(s.id, node);
  return node;
}

function fillNode(node, s) {
  node.className = `node s-${s.status}` + (state.selected === s.id ? ' selected' : '');
  node.dataset.status = s.status;
  const lease = leaseState(s);
  node.innerHTML = '<div><span class="status"></span> <span class="agent"></span></div><div class="meta"><span class="phase"></span> · <span class="age"></span> <span class="lease"></span></div><div class="meta mono sid"></div>';
  node.querySelector('.status').textContent = s.status;
  node.querySelector('.agent').textContent = s.agent_name;
  node.querySelector('.phase').textContent = (s.context && s.context.current_phase) || '—';
  node.querySelector('.age').textContent = age(s.created_at);
  const l = node.querySelector('.lease');
  if (lease) { l.textContent = lease; l.className = 'lease lease-' + lease; } else l.remove();
  node.querySelector('.sid').textContent = s.id.slice(0, 8) + (s.agent_id ? ' · ' + s.agent_id : '');
}

function updateNode(id) {
  const node = state.nodes.get(id);
  if (node && state.sessions.has(id)) fillNode(node, state.sessions.get(id));
}

// A row leaves the page: its node elements are no longer held (nor refreshed).
function forgetNodes(row) {
  for (const node of row.querySelectorAll('.node[data-session]')) if (state.nodes.get(node.dataset.session) === node) state.nodes.delete(node.dataset.session);
}

// One changed session: update its node in place, or redraw only its row (a handoff grows the chain).
function upsertSession(s) {
  const before = state.sessions.get(s.id);
  state.sessions.set(s.id, s);
  const isNew = !before;
  const shape = isNew || (before.child_sessions || []).length !== (s.child_sessions || []).length;
  if (!shape) { updateNode(s.id); return; }
  let root = s.parent_session && state.rowOf.get(s.parent_session) || (s.parent_session && state.sessions.has(s.parent_session) ? rootOf(s) : s.id);
  state.rowOf.set(s.id, root);
  if (root === s.id && isNew) state.rows.unshift(s.id);
  // A child read before its parent (its read failed, or came first) got a row of its own: now that
  // the parent lists it, its chain joins the parent's row.
  // (Only a child that is a row's root is looked for among the rows: no scan per handoff.)
  for (const child of s.child_sessions || []) {
    if (child === root || state.rowOf.get(child) !== child) continue;
    state.rows.splice(state.rows.indexOf(child), 1);
    const own = $('lineages').querySelector(`.lineage[data-root="${CSS.escape(child)}"]`);
    if (own) { forgetNodes(own); own.remove(); }
  }
  const chain = chainOf(root);
  for (const x of chain) state.rowOf.set(x.id, root);
  const f = filters();
  const visible = chain.some((x) => matches(x, f));
  const existing = $('lineages').querySelector(`.lineage[data-root="${CSS.escape(root)}"]`);
  if (existing) {
    forgetNodes(existing);
    if (visible) existing.replaceWith(drawRow(root)); else existing.remove();
  } else if (visible && state.page === 0 && root === s.id) {
    $('lineages').prepend(drawRow(root));
    const rows = $('lineages').children;
    if (rows.length > PAGE_ROWS) { const last = rows[rows.length - 1]; forgetNodes(last); last.remove(); }
  }
  $('shown').textContent = `${state.rows.length} lineages, ${state.sessions.size} sessions loaded`;
}

// ---------- agents ----------
function upsertAgent(a) {
  const known = state.agents.get(a.id) || { id: a.id, specs: new Set() };
  known.status = a.status; known.snapshot = a;
  for (const spec of a.specializations || []) {
    known.specs.add(spec);
    if (!state.specs.has(spec)) { state.specs.set(spec, new Set()); }
    if (!state.specs.get(spec).has(a.id)) { state.specs.get(spec).add(a.id); drawAgents(); }
  }
  state.agents.set(a.id, known);
  for (const row of document.querySelectorAll(`tr[data-agent="${CSS.escape(a.id)}"]`)) fillAgentRow(row, known);
}

function drawAgents() {
  const container = $('agents');
  const open = new Set([...container.querySelectorAll('details[open]')].map((d) => d.dataset.spec));
  container.textContent = '';
  for (const [spec, ids] of [...state.specs.entries()].sort()) {
    const details = document.createElement('details');
    details.className = 'spec'; details.dataset.spec = spec;
    details.open = open.has(spec) || ids.size <= 25;
    const summary = document.createElement('summary');
    const counts = {};
    for (const id of ids) { const s = (state.agents.get(id) || {}).status || '?'; counts[s] = (counts[s] || 0) + 1; }
    summary.textContent = `${spec} (${ids.size}) ` + Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(' · ');
    details.append(summary);
    const fill = () => {
      if (details.querySelector('table')) return;
      const table = document.createElement('table');
      table.innerHTML = '<thead><tr><th>agent</th><th>status</th><th>session</th><th>heartbeat</th><th>direction</th><th>pending</th><th></th></tr></thead>';
      const body = document.createElement('tbody');
      for (const id of [...ids].sort()) {
        const row = document.createElement('tr'); row.dataset.agent = id;
        fillAgentRow(row, state.agents.get(id) || { id, specs: new Set([spec]) });
        body.append(row);
        // Details (direction, directives, session) are read only for groups that are open.
        if (!(state.agents.get(id) || {}).snapshot) state.dirtyAgents.add(id);
      }
      table.append(body); details.append(table);
      scheduleFlush();
    };
    details.addEventListener('toggle', () => { if (details.open) fill(); });
    if (details.open) fill();
    container.append(details);
  }
}

function fillAgentRow(row, agent) {
  const snap = agent.snapshot || {};
  const status = agent.status || snap.status || '?';
  row.className = 'a-' + status; row.dataset.status = status;
  row.innerHTML = '<td class="mono id"></td><td><span class="status"></span></td><td class="mono session"></td><td class="hb"></td><td class="dir"></td><td class="pending"></td><td class="actions"></td>';
  row.querySelector('.id').textContent = agent.id;
  row.querySelector('.status').textContent = status;
  row.querySelector('.session').textContent = snap.current_session ? snap.current_session.slice(0, 8) : '';
  row.querySelector('.hb').textContent = agent.lease ? age(agent.lease.last_heartbeat) + ' ago' : '—';
  row.querySelector('.dir').textContent = snap.direction || '';
  row.querySelector('.pending').textContent = snap.last_sequence !== undefined ? String(snap.last_sequence - snap.acknowledged_through) : '';
  const actions = row.querySelector('.actions');
  actions.append(button('steer', () => steerForm(agent.id)), button('kill', () => kill(agent.id)));
}

function button(label, action) {
  const b = document.createElement('button'); b.type = 'button'; b.textContent = label; b.dataset.action = label;
  b.addEventListener('click', action);
  return b;
}

// ---------- actions ----------
function confirmDialog(text) {
  return new Promise((resolve) => {
    const dialog = $('confirm');
    $('confirm-text').textContent = text;
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}

async function act(action) {
  clearProblem();
  try { await action(); } catch (error) { showProblem(error); }
}

async function kill(agentId) {
  const detail = $('detail');
  detail.hidden = false;
  detail.innerHTML = '<h3>Kill agent <span class="mono"></span></h3><label><input type="checkbox" id="kill-force"> forced (at once; otherwise graceful: Draining until acknowledged)</label><div class="actions"></div>';
  detail.querySelector('.mono').textContent = agentId;
  detail.querySelector('.actions').append(button('confirm kill', async () => {
    const force = $('kill-force').checked;
    if (!await confirmDialog(`${force ? 'Force-kill' : 'Gracefully kill'} agent ${agentId}? Its active sessions fail.`)) return;
    await act(async () => { await api('DELETE', `/agents/${encodeURIComponent(agentId)}${force ? '?force=true' : ''}`); state.dirtyAgents.add(agentId); scheduleFlush(); });
  }));
}

function steerForm(agentId) {
  const detail = $('detail');
  detail.hidden = false;
  detail.innerHTML = '<h3>Steer agent <span class="mono"></span></h3><form id="steer-form"><input id="steer-direction" placeholder="direction" required> <input id="steer-message" placeholder="message (optional)"> <button>Steer</button></form>';
  detail.querySelector('.mono').textContent = agentId;
  $('steer-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { agent_id: agentId, direction: $('steer-direction').value };
    if ($('steer-message').value) body.message = $('steer-message').value;
    act(async () => { await api('POST', '/steer', body); state.dirtyAgents.add(agentId); scheduleFlush(); });
  });
}

async function showDetail(id) {
  const previous = state.selected;
  state.selected = id;
  if (previous && previous !== id) updateNode(previous);
  updateNode(id);
  const detail = $('detail');
  detail.hidden = false;
  try {
    const [s, lineage, descendants] = await Promise.all([api('GET', '/sessions/' + id), api('GET', `/sessions/${id}/lineage`), api('GET', `/sessions/${id}/descendants`)]);
    if (state.selected !== id) return;
    detail.innerHTML = `<h3>Session <span class="mono"></span></h3><div><span class="status s-${s.status}"></span> <b class="agent"></b> <span class="purpose"></span></div>
      <div class="error problem"></div><div class="actions"></div><h3>Context</h3><pre class="ctx"></pre><h3>Results</h3><pre class="results"></pre>
      <h3>Lineage</h3><ol class="lineage-list"></ol><h3>Descendants</h3><ol class="descendants"></ol>`;
    detail.querySelector('.mono').textContent = s.id;
    detail.querySelector('.status').textContent = s.status;
    detail.querySelector('.agent').textContent = s.agent_name + (s.agent_id ? ` (${s.agent_id})` : '');
    detail.querySelector('.purpose').textContent = s.purpose;
    detail.querySelector('.error').textContent = s.error || '';
    const { previous_results: results, ...context } = s.context || {};
    detail.querySelector('.ctx').textContent = JSON.stringify(context, null, 2);
    detail.querySelector('.results').textContent = JSON.stringify(results || [], null, 2);
    const list = (selector, items) => {
      for (const x of items) {
        const li = document.createElement('li'); li.textContent = `${x.agent_name} — ${x.status} (${x.id.slice(0, 8)})`;
        li.addEventListener('click', () => showDetail(x.id)); detail.querySelector(selector).append(li);
      }
    };
    list('.lineage-list', lineage);
    list('.descendants', descendants.filter((x) => x.id !== id));
    if (s.status === 'Active') {
      const actions = detail.querySelector('.actions');
      actions.append(button('complete', () => act(async () => { await api('POST', `/sessions/${id}/complete`); state.dirtySessions.add(id); scheduleFlush(); })));
      const error = document.createElement('input'); error.placeholder = 'error'; error.id = 'fail-error';
      actions.append(error, button('fail', () => act(async () => { await api('POST', `/sessions/${id}/fail`, { error: error.value }); state.dirtySessions.add(id); scheduleFlush(); })));
    }
  } catch (error) { showProblem(error); }
}

// Ages in nodes drift; refresh the drawn ones (only those on the page) every 10 s.
setInterval(() => { for (const id of state.nodes.keys()) updateNode(id); }, 10000);

if (state.key) start();
