// app.js — the demo page's script: opens the database 'demo' with the library's public
// API and wires every button of index.html to real SQL.
//
// Everything the page shows comes from the library: the status bar from the Database's
// properties, its 'leaderchange' / 'workerdied' / 'close' events and listDatabases();
// each result from the call that produced it. An action is a list of steps (one API
// call each); every step is shown with its method, SQL, parameters, time, which tab
// served it, and its value or its SQLiteError (code, errno, message). Actions run one
// after another, in the order they were started, so their results and log lines never
// interleave.
//
// Every tab that opens the demo shares the database (README "Many tabs"): one tab's
// worker leads and serves it, the others follow. The status bar shows this tab's role,
// epoch and client id, live; "Open another tab" opens the page again to try it.
//
// The Live panel shows the newest users through db.live(): the library runs its query
// again after any tab's commit that changed users (or the schema), so a row added in one
// tab appears in every other. Under it, the last 'change' event (its tables, whether
// this tab wrote it, its seq) and how many times the live query has run.
//
// #result carries data-run (a counter), data-action, data-outcome and data-served after
// each action, so a test (tests/browser/demo.test.mjs) can tell when an action has
// finished; #live-rows carries data-state and #live-status data-runs, data-seq and
// data-local, for the same reason.

import { openDatabase, listDatabases, deleteDatabase, SQLiteError } from '/dist/index.js';

const DB_NAME = 'demo';
const DEBUG_KEY = 'sqlite-worker-debug';
const LOG_MAX = 200;
const BLOB_SHOWN = 32;   // bytes of a blob shown in a cell before "…"

// Which tab served a step (see Recorder.record), as the page says it.
const SERVED_TEXT = {
  leader: 'served by this tab (leader)',
  follower: 'served by the leader tab (this tab follows)',
  change: 'served during a leader change',
};
// Rejections that are no tab's answer: nothing came back in time, or no worker ran it.
const NO_ANSWER = new Set(['SQLITE_WORKER_TIMEOUT', 'SQLITE_WORKER_DIED', 'SQLITE_WORKER_UNAVAILABLE']);
// Microtask turns after a call by which a call the page refused itself has surely
// rejected (the library's deepest chain of awaits before it is a few turns).
const LOCAL_TURNS = 16;

// The library's own bookkeeping tables (_sqlw_*, README "Storage") are left out.
const LIST_TABLES = "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' "
  + "AND name NOT LIKE '\\_sqlw\\_%' ESCAPE '\\' ORDER BY type DESC, name";
const COUNTS = 'SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM posts) AS posts';
// The Live panel's query: it reads users only, so only commits that change users (or
// the schema) run it again.
const LIVE_SQL = 'SELECT id, name, email, age FROM users ORDER BY id DESC LIMIT 5';

let db = null;                 // the open Database; null before the first open and while reset reopens it
let queue = Promise.resolve(); // the actions, chained so that one runs at a time
let runs = 0;                  // actions finished, shown as #result's data-run
let role = null;               // the last 'leaderchange' detail, or null before one
let unsubscribe = [];          // the current db's event subscriptions
let live = null;               // the Live panel's state for the current db (see watchLive), or null

const $ = (id) => document.getElementById(id);

/*
** Creates an element: attrs maps attribute names to values ('class' and 'text' set
** className and textContent); children are nodes or strings (null ones are skipped).
** Returns the element.
*/
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/* ---- values ---------------------------------------------------------------------- */

/* The type of a result value as the page labels it: null, number, bigint, text or blob. */
function valueType(v) {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return 'bigint';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'text';
  if (v instanceof Uint8Array) return 'blob';
  return typeof v;
}

/* Hex of bytes as an SQL blob literal, x'00ff…', cut after `max` bytes. Returns a string. */
function blobLiteral(bytes, max = BLOB_SHOWN) {
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join('');
  return `x'${shown}${bytes.length > max ? '…' : ''}'`;
}

/* The text of a result value in a cell: NULL, 12n, x'00ff', -0, or the value. */
function valueText(v) {
  switch (valueType(v)) {
    case 'null': return 'NULL';
    case 'bigint': return `${v}n`;
    case 'blob': return blobLiteral(v);
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    default: return String(v);
  }
}

/* A span showing value v with its type: class v-<type>, data-type, a title naming it. */
function valueNode(v) {
  const type = valueType(v);
  const title = type === 'blob' ? `blob, ${v.length} bytes` : type === 'bigint' ? 'bigint (beyond ±(2^53−1))' : type;
  return el('span', { class: `v v-${type}`, 'data-type': type, title, text: valueText(v) });
}

/* A bound parameter as JavaScript source, for showing what a step bound. Returns a string. */
function paramText(v) {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length}) ${blobLiteral(v)}`;
  if (v instanceof Date) return `new Date(${JSON.stringify(v.toISOString())})`;
  if (Array.isArray(v)) return `[${v.map(paramText).join(', ')}]`;
  if (typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${paramText(x)}`).join(', ')} }`;
  return String(v);
}

/* This tab's role now, { isLeader, epoch }, or null while no database is open. */
function roleNow() {
  return db ? { isLeader: db.isLeader, epoch: db.epoch } : null;
}

/* Milliseconds as shown: "0.42 ms", "12.3 ms", "1204 ms". */
function msText(ms) {
  return `${ms < 1 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/* ---- steps ----------------------------------------------------------------------- */

/*
** Records the steps of one action: each method calls the same method of the target
** (the db, or a transaction's tx) and appends { method, sql, params, kind, ms, served,
** value | error, steps? } to `steps`. A failed call is recorded, then its error is
** rethrown. target: a function returning the Database or tx, read at each call, so a
** step can use a database that an earlier step of the same action reopened.
*/
class Recorder {
  constructor(target, prefix, steps) {
    this.target = target;
    this.prefix = prefix;
    this.steps = steps;
  }

  /*
  ** Runs call() as one step. Returns its value; throws its error once recorded.
  ** A step that goes to the database (every query; step.query for the others) gets
  ** step.served: 'leader', 'follower', 'change' (see SERVED_TEXT) or null.
  **
  ** The API does not say per request which tab's worker ran it, so this is this tab's
  ** role (db.isLeader) when the answer arrives: a follower's requests run in the
  ** leader's tab, a leader's here. If the role or the epoch changed while the request
  ** was in flight, the step says it was served during a leader change (the request may
  ** have been sent again to the new leader). null when no tab served it: the page
  ** refused the call itself (it rejected within microtasks, before any worker's
  ** message, which is a task, could arrive), or no answer came (NO_ANSWER).
  */
  async record(step, call) {
    this.steps.push(step);
    const t0 = performance.now();
    const before = roleNow();
    let settled = false;
    let answered = null;   // the role when the answer arrived
    let promise;
    try {
      promise = Promise.resolve(call());
    } catch (e) {
      promise = Promise.reject(e);
    }
    const arrived = () => {
      settled = true;
      answered = roleNow();
    };
    promise.then(arrived, arrived);
    for (let i = 0; i < LOCAL_TURNS; i++) await null;
    const local = settled;
    try {
      step.value = await promise;
      return step.value;
    } catch (e) {
      step.error = e;
      throw e;
    } finally {
      step.ms = performance.now() - t0;
      if (step.kind !== 'value' || step.query) step.served = servedBy(before, answered, local, step.error);
    }
  }

  /* exec: one statement or a script; shows every result set. */
  exec(sql, params, options) {
    return this.record({ method: `${this.prefix}.exec`, sql, params, options, kind: 'exec' },
      () => this.target().exec(sql, params, options));
  }

  /* all: the rows of a query. */
  all(sql, params, options) {
    return this.record({ method: `${this.prefix}.all`, sql, params, options, kind: 'rows' },
      () => this.target().all(sql, params, options));
  }

  /* get: the first row of a query, or undefined. */
  get(sql, params, options) {
    return this.record({ method: `${this.prefix}.get`, sql, params, options, kind: 'row' },
      () => this.target().get(sql, params, options));
  }

  /* run: changes and lastInsertRowid. */
  run(sql, params) {
    return this.record({ method: `${this.prefix}.run`, sql, params, kind: 'run' },
      () => this.target().run(sql, params));
  }

  /* runMany: one statement, many parameter sets, one round trip. */
  runMany(sql, paramSets) {
    return this.record({ method: `${this.prefix}.runMany`, sql, paramSets, kind: 'runMany' },
      () => this.target().runMany(sql, paramSets));
  }

  /* batch: [sql, params?] items, atomically, in one round trip. */
  batch(items) {
    return this.record({ method: `${this.prefix}.batch`, items, kind: 'batch' },
      () => this.target().batch(items));
  }

  /* transaction: fn(tx) gets a Recorder over tx, so its statements show as sub-steps. */
  transaction(fn) {
    const steps = [];
    return this.record({ method: `${this.prefix}.transaction`, kind: 'transaction', steps },
      () => this.target().transaction((tx) => fn(new Recorder(() => tx, 'tx', steps))));
  }

  /*
  ** Any other call (open, close, export…): `label` is shown as the call; describe(value)
  ** as its result. query: the call is a request to the database (export, import), so
  ** the step says which tab served it.
  */
  call(label, fn, describe = (v) => paramText(v), query = false) {
    return this.record({ method: label, kind: 'value', describe, query }, fn);
  }
}

/*
** Which tab served a step (see Recorder.record): before and after are the roles when the
** call was made and when its answer arrived; local: the page refused it itself; error:
** its rejection, if any. Returns 'leader', 'follower', 'change' or null.
*/
function servedBy(before, after, local, error) {
  if (local || !before || !after || NO_ANSWER.has(error?.code)) return null;
  if (before.isLeader !== after.isLeader || before.epoch !== after.epoch) return 'change';
  return after.isLeader ? 'leader' : 'follower';
}

/* Which tab served an action's steps: one of servedBy's values, 'change' if they differ. */
function actionServed(steps) {
  const all = new Set(steps.flatMap(function served(s) {
    return [...(s.served ? [s.served] : []), ...(s.steps ?? []).flatMap(served)];
  }));
  return all.size === 0 ? null : all.size === 1 ? [...all][0] : 'change';
}

/* A span saying which tab served (SERVED_TEXT), or null when none did. */
function servedNode(served) {
  return served ? el('span', { class: 'served', 'data-served': served, text: SERVED_TEXT[served] }) : null;
}

/* ---- rendering ------------------------------------------------------------------- */

/*
** A table of rows (objects or arrays) under `columns`, each cell typed (see valueNode),
** inside a box that scrolls sideways on its own. declTypes: declared column types
** shown under the names, when given. Returns the element.
*/
function rowsTable(columns, rows, declTypes) {
  const head = el('tr', {}, ...columns.map((c, i) => el('th', { scope: 'col' }, c,
    declTypes?.[i] ? el('span', { class: 'decl', text: declTypes[i] }) : null)));
  const body = rows.map((row) => el('tr', {}, ...columns.map((c, i) =>
    el('td', {}, valueNode(Array.isArray(row) ? row[i] : row[c])))));
  const count = `${rows.length} row${rows.length === 1 ? '' : 's'}`;
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `result table, ${count}` },
    el('table', { class: 'rows' }, el('caption', { text: count }), el('thead', {}, head), el('tbody', {}, ...body)));
}

/* "changes 1 · lastInsertRowid 7", each value typed. Returns the element. */
function runInfo({ changes, lastInsertRowid }) {
  return el('p', { class: 'info' },
    'changes ', el('span', { 'data-field': 'changes' }, valueNode(changes)),
    ' · lastInsertRowid ', el('span', { 'data-field': 'lastInsertRowid' }, valueNode(lastInsertRowid)));
}

/* The fields of an error: code, errno, message, and offset / batchIndex when set. */
function errorBox(e) {
  const rows = [];
  const add = (name, value) => rows.push(el('div', {}, el('dt', { text: name }), el('dd', {}, value)));
  if (e instanceof SQLiteError) {
    add('code', el('code', { class: 'code', text: e.code }));
    add('errno', String(e.errno));
    add('message', e.message);
    if (e.offset >= 0) add('offset', `${e.offset} (byte offset in the SQL)`);
    if (e.batchIndex !== undefined) add('batchIndex', String(e.batchIndex));
  } else {
    add('error', el('code', { class: 'code', text: e?.name ?? 'Error' }));
    add('message', String(e?.message ?? e));
  }
  return el('dl', { class: 'error', 'data-code': e?.code ?? e?.name ?? 'Error' }, ...rows);
}

/* The body of a step that succeeded, by its kind. Returns an element or a fragment. */
function stepValue(step) {
  const v = step.value;
  switch (step.kind) {
    case 'exec': {
      const f = document.createDocumentFragment();
      for (const set of v.resultSets) f.append(rowsTable(set.columns, set.rows, set.declTypes));
      f.append(runInfo(v));
      return f;
    }
    case 'rows': return rowsTable(v.columns, v);
    case 'row': return v === undefined ? el('p', { class: 'info', text: 'no row (undefined)' }) : rowsTable(Object.keys(v), [v]);
    case 'run': return runInfo(v);
    case 'runMany': {
      const f = document.createDocumentFragment();
      if (v.rows.length) f.append(rowsTable(v.rows.columns, v.rows));
      f.append(runInfo(v));
      return f;
    }
    case 'batch': {
      const list = el('ol', { class: 'batch', start: '0' });
      for (const r of v) list.append(el('li', {}, r.columns.length ? rowsTable(r.columns, r.rows) : runInfo(r)));
      return list;
    }
    case 'transaction': return el('p', { class: 'info' }, 'committed; fn returned ', valueNode(v ?? null));
    default: return el('p', { class: 'info', text: step.describe(v) });
  }
}

/* One step: its call, SQL, parameters, time and serving tab, then its value or its error. */
function stepNode(step) {
  const head = el('div', { class: 'step-head' },
    el('code', { class: 'method', text: step.method }),
    el('span', { class: 'timing' }, el('span', { class: 'ms', text: msText(step.ms) }), servedNode(step.served)));
  const node = el('article', { class: `step${step.error ? ' failed' : ''}` }, head);
  if (step.sql !== undefined) node.append(el('pre', { class: 'sql' }, el('code', { text: step.sql })));
  if (step.items) {
    const items = step.items.map(([sql, params]) => `[${JSON.stringify(sql)}${params ? `, ${paramText(params)}` : ''}]`);
    node.append(el('pre', { class: 'sql' }, el('code', { text: `[\n  ${items.join(',\n  ')}\n]` })));
  }
  if (step.params !== undefined) node.append(el('p', { class: 'params' }, 'params ', el('code', { text: paramText(step.params) })));
  if (step.paramSets) {
    node.append(el('p', { class: 'params' }, `paramSets (${step.paramSets.length}) `,
      el('code', { text: paramText(step.paramSets) })));
  }
  if (step.options) node.append(el('p', { class: 'params' }, 'options ', el('code', { text: paramText(step.options) })));
  if (step.steps) node.append(el('div', { class: 'substeps' }, ...step.steps.map(stepNode)));
  if (step.error) {
    if (step.kind === 'transaction') node.append(el('p', { class: 'info', text: 'rolled back; the transaction rejected with:' }));
    node.append(errorBox(step.error));
  } else if ('value' in step) {
    node.append(stepValue(step));
  }
  return node;
}

/* The outcome of an action as the log and the summary say it: 'ok', a code, … */
function outcomeText(error, expectError, steps) {
  if (error) return `${error.code ?? error.name}${expectError ? ' (expected)' : ''}`;
  const handled = steps.flatMap(function codes(s) {
    return [...(s.error ? [s.error.code ?? s.error.name] : []), ...(s.steps ?? []).flatMap(codes)];
  });
  return handled.length ? `ok (handled ${[...new Set(handled)].join(', ')})` : 'ok';
}

/*
** Appends a line to the log: time, what, outcome, duration, which tab served it (a
** servedBy value, or null). Keeps the last LOG_MAX.
*/
function log(what, outcome, state, ms, served = null) {
  const now = new Date();
  const time = now.toTimeString().slice(0, 8) + '.' + String(now.getMilliseconds()).padStart(3, '0');
  const list = $('log');
  list.prepend(el('li', { class: `log-${state}` },
    el('time', { datetime: now.toISOString(), text: time }), ' ',
    el('span', { class: 'what', text: what }), ' ',
    el('span', { class: 'outcome', text: outcome }),
    ms === undefined ? null : el('span', { class: 'ms', text: ` ${msText(ms)}` }),
    served ? ' ' : null, servedNode(served)));
  while (list.children.length > LOG_MAX) list.lastElementChild.remove();
}

/*
** Shows an action's steps in #result and logs it. error: what the action threw (the
** last failed step's error, or null). Updates #result's data-run, data-action,
** data-outcome, data-code and data-served.
*/
function showAction(action, steps, error, ms) {
  const result = $('result');
  const nodes = steps.map(stepNode);
  // An error that no step recorded came from the page itself: show it too.
  if (error && !steps.some(function has(s) { return s.error === error || (s.steps ?? []).some(has); })) nodes.push(errorBox(error));
  result.replaceChildren(el('h3', { text: action.label }), ...nodes);
  const outcome = outcomeText(error, action.expectError, steps);
  const state = !error ? 'ok' : action.expectError ? 'expected' : 'error';
  $('summary').textContent = `${action.label}: ${outcome}, ${msText(ms)}`;
  $('summary').dataset.state = state;
  const served = actionServed(steps);
  log(action.label, outcome, state, ms, served);
  result.dataset.action = action.id;
  result.dataset.served = served ?? '';
  result.dataset.outcome = state;
  result.dataset.code = error ? (error.code ?? error.name) : '';
  result.dataset.run = String(++runs);
}

/*
** Queues an action: { id, label, run(recorder), expectError? }. It runs after the
** actions queued before it; its steps are then shown and logged. Returns the Promise
** of its end (never rejects: failures are shown, not thrown).
*/
function perform(action) {
  queue = queue.then(async () => {
    const steps = [];
    const t0 = performance.now();
    let error = null;
    try {
      if (!db && !action.opens) throw new SQLiteError('the database is not open (see the status bar)', { code: 'SQLITE_MISUSE', errno: 21 });
      await action.run(new Recorder(() => db, 'db', steps));
    } catch (e) {
      error = e;
    }
    showAction(action, steps, error, performance.now() - t0);
  });
  return queue;
}

/* ---- status ---------------------------------------------------------------------- */

/* Fills the status bar from db (or says why there is none: `failure`, an error). */
function renderStatus(failure) {
  const storage = $('status-storage');
  if (failure) {
    storage.dataset.state = 'error';
    // The demo's tabs share the database; SQLITE_BUSY means something else holds its files.
    const hint = failure.code === 'SQLITE_BUSY'
      ? ' Something other than the demo\'s tabs holds its files (another browser profile, another page of this origin): close it, then reload.' : '';
    storage.textContent = `not open — ${failure.code ?? failure.name}: ${failure.message.replace(/\.?$/, '.')}${hint}`;
    return;
  }
  if (!db) return;
  storage.dataset.state = db.persistent ? 'opfs' : 'memory';
  storage.textContent = db.persistent ? 'OPFS (persistent)'
    : `memory — not persistent: ${db.persistenceError ?? 'no reason given'}`;
  const isLeader = role ? role.isLeader : db.isLeader;
  const epoch = role ? role.epoch : db.epoch;
  $('status-role').textContent = (isLeader ? 'leader — this tab\'s worker serves the database'
    : 'follower — another tab\'s worker serves the database') + ` (epoch ${epoch})`;
  $('status-client').replaceChildren(el('code', { title: `db.clientId ${db.clientId}`, text: db.clientId.slice(0, 8) }));
  $('status-name').textContent = db.name;
}

/* Shows the library's list of OPFS databases (or why there is none). Never rejects. */
async function refreshDatabases() {
  const dd = $('status-databases');
  try {
    const names = await listDatabases();
    dd.textContent = names.length ? names.join(', ') : 'none';
  } catch (e) {
    dd.textContent = `unavailable — ${e.code ?? e.name}`;
  }
}

/* Subscribes to db's events: the role, the worker's death, the close. */
function subscribe() {
  const current = db;
  unsubscribe = [
    current.on('leaderchange', (detail) => {
      role = detail;
      renderStatus();
      log('leaderchange', `${detail.isLeader ? 'leader' : 'follower'}, epoch ${detail.epoch}`, 'event');
    }),
    current.on('workerdied', ({ reason }) => {
      log('workerdied', reason, 'error');
      $('status-role').textContent = `worker died: ${reason} (the next request starts a new one)`;
    }),
    current.on('close', () => {
      if (db === current) $('status-name').textContent = `${current.name} (closed)`;
    }),
    ...watchLive(current),
  ];
}

/*
** Steps that open the database, switch on foreign keys and read SQLite's version.
** Throws the open's SQLiteError (SQLITE_BUSY while something other than the demo's
** tabs holds the database's files…), shown in the status bar too.
*/
async function openSteps(s) {
  try {
    db = await s.call(`openDatabase(${JSON.stringify(DB_NAME)})`, () => openDatabase(DB_NAME),
      (d) => (d.persistent ? 'Database in OPFS (persistent)' : `Database in memory: ${d.persistenceError}`));
  } catch (e) {
    renderStatus(e);
    throw e;
  }
  role = null;
  subscribe();
  renderStatus();
  await s.exec('PRAGMA foreign_keys = ON');
  const { version } = await s.get('SELECT sqlite_version() AS version');
  $('status-version').textContent = version;
  await refreshDatabases();
}

/* Enables every action button (they stay disabled until the database first opens). */
function enableButtons() {
  for (const b of document.querySelectorAll('button[disabled], input[type=file][disabled]')) b.disabled = false;
}

/* ---- live panel ------------------------------------------------------------------ */

/*
** Starts the Live panel on database d: subscribes to db.live(LIVE_SQL) and to d's
** 'change' events, and shows both. Returns the functions that unsubscribe (called when
** reset closes d; d's close has stopped the query already).
**
** The panel keeps { query, rows, error, change }: the last rows the query gave (undefined
** before its first result), the error of its last run if that run failed, and the last
** 'change' event. A query that failed runs again only after a schema change; if it then
** succeeds with the rows it had before, its listener is not called (the rows did not
** change), so the error is cleared when that schema change is heard, and put back by
** onError if the run fails again.
*/
function watchLive(d) {
  const state = { query: d.live(LIVE_SQL), rows: undefined, error: null, change: null };
  live = state;
  // Rendered in a microtask: the library starts the run that an event causes right
  // after the event's listeners return, in the same turn, and query.runs counts it then.
  const showRows = () => queueMicrotask(() => {
    if (live === state) renderLiveRows();
  });
  const showStatus = () => queueMicrotask(() => {
    if (live === state) renderLiveStatus();
  });
  const offChange = d.on('change', (detail) => {
    state.change = detail;
    if (state.error && (detail.schema || detail.all)) {
      state.error = null;
      showRows();
    }
    showStatus();
  });
  const offLeader = d.on('leaderchange', showStatus);   // a new leader: the query runs again
  const offQuery = state.query.subscribe((rows) => {
    state.rows = rows;
    state.error = null;
    showRows();
    showStatus();
  }, (e) => {
    state.error = e;
    showRows();
    showStatus();
  });
  return [offChange, offLeader, offQuery];
}

/*
** Shows the Live panel's rows (newest first), its error, that its first run is on its
** way, or that no database is open (live is null).
*/
function renderLiveRows() {
  const box = $('live-rows');
  if (!live) {
    box.dataset.state = 'closed';
    box.replaceChildren(el('p', { class: 'info', text: 'No database is open.' }));
    $('live-change').textContent = 'No change yet.';
    $('live-runs').textContent = '';
    for (const k of ['runs', 'seq', 'local']) delete $('live-status').dataset[k];
    return;
  }
  const { rows, error } = live;
  if (error) {
    box.dataset.state = 'error';
    box.replaceChildren(el('p', { class: 'info', text: 'The live query failed; it runs again after the next schema change (try "Create tables").' }),
      errorBox(error));
  } else if (rows === undefined) {
    box.dataset.state = 'pending';
    box.replaceChildren(el('p', { class: 'info', text: 'Running the live query…' }));
  } else {
    box.dataset.state = 'rows';
    box.replaceChildren(rowsTable(rows.columns, rows));
  }
}

/* The tables of a 'change' event as the panel says them: "users, posts", "every table"… */
function changeTablesText({ tables, schema, all }) {
  const names = all ? 'every table' : tables.length ? tables.join(', ') : 'no table';
  return schema ? `${names} and the schema` : names;
}

/*
** Shows the last 'change' event (its tables, which tab wrote it, its seq: the leader's
** epoch in the high 32 bits, its commit count in the low) and the live query's runs.
*/
function renderLiveStatus() {
  const { query, change } = live;
  const line = $('live-change');
  const status = $('live-status');
  if (change) {
    const epoch = change.seq >> 32n;
    const commit = change.seq & 0xffffffffn;
    line.replaceChildren('Last change: ', el('strong', { text: changeTablesText(change) }),
      change.local ? ', written by this tab' : ', written by another tab',
      ', seq ', el('span', { class: 'v v-bigint', text: `${change.seq}n` }), ` (epoch ${epoch}, commit ${commit}).`);
    status.dataset.seq = String(change.seq);
    status.dataset.local = String(change.local);
  } else {
    line.textContent = 'No change yet.';
  }
  $('live-runs').textContent = `The live query ran ${query.runs} time${query.runs === 1 ? '' : 's'}.`;
  status.dataset.runs = String(query.runs);
}

/* Adds a user with the Live panel's name, as an action: every tab's panel shows it. */
function addLiveUser(e) {
  e.preventDefault();
  const input = $('live-name');
  const name = input.value;
  return perform({
    id: 'live-add', label: 'Add user (Live)',
    async run(s) {
      await s.run('INSERT INTO users(name) VALUES (?)', [name]);
      if (input.value === name) input.value = '';
    },
  });
}

/* ---- actions ----------------------------------------------------------------------- */

const ACTIONS = [
  {
    id: 'create-tables', group: 'schema', label: 'Create tables',
    async run(s) {
      await s.exec(`CREATE TABLE IF NOT EXISTS users(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT UNIQUE,
  age INTEGER,
  created TEXT DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS posts(
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT
);
CREATE TABLE IF NOT EXISTS tags(name TEXT PRIMARY KEY) WITHOUT ROWID;`);
      await s.all(LIST_TABLES);
      await refreshDatabases();
    },
  },
  {
    id: 'add-column', group: 'schema', label: 'ALTER TABLE … ADD COLUMN',
    async run(s) {
      await s.exec('ALTER TABLE users ADD COLUMN bio TEXT');
      await s.all('PRAGMA table_info(users)');
    },
  },
  {
    id: 'drop-table', group: 'schema', label: 'DROP TABLE tags',
    async run(s) {
      await s.exec('DROP TABLE IF EXISTS tags');
      await s.all(LIST_TABLES);
    },
  },
  {
    id: 'list-tables', group: 'schema', label: 'List tables (sqlite_schema)',
    async run(s) {
      await s.all(LIST_TABLES);
    },
  },
  {
    id: 'insert', group: 'data', label: 'INSERT with parameters',
    async run(s) {
      await s.run('INSERT INTO users(name, email, age) VALUES (?, ?, ?)', ['Ada', 'ada@example.com', 36]);
    },
  },
  {
    id: 'insert-many', group: 'data', label: 'Insert sample rows (runMany)',
    async run(s) {
      await s.runMany('INSERT INTO users(name, email, age) VALUES (?, ?, ?) RETURNING id, name, email', [
        ['Grace', 'grace@example.com', 45],
        ['Alan', 'alan@example.com', 41],
        ['Edsger', 'edsger@example.com', 72],
        ['Barbara', 'barbara@example.com', null],
      ]);
      await s.runMany('INSERT INTO posts(user_id, title, body) VALUES ((SELECT id FROM users WHERE email = ?), ?, ?)', [
        ['grace@example.com', 'Compilers', 'A program that writes programs.'],
        ['grace@example.com', 'Nanoseconds', 'About 30 cm of wire.'],
        ['alan@example.com', 'Computable numbers', 'On a machine with a tape.'],
        ['edsger@example.com', 'Shortest paths', 'Visit the nearest node first.'],
        ['barbara@example.com', 'Substitution', null],
      ]);
    },
  },
  {
    id: 'update', group: 'data', label: 'UPDATE',
    async run(s) {
      await s.run('UPDATE users SET age = age + 1 WHERE email = ?', ['grace@example.com']);
      await s.get('SELECT name, age FROM users WHERE email = ?', ['grace@example.com']);
    },
  },
  {
    id: 'delete', group: 'data', label: 'DELETE (cascades to posts)',
    async run(s) {
      await s.get(COUNTS);
      await s.run('DELETE FROM users WHERE email = ?', ['edsger@example.com']);
      await s.get(COUNTS);
    },
  },
  {
    id: 'duplicate', group: 'data', label: 'Duplicate email (UNIQUE)', expectError: true,
    async run(s) {
      await s.run('INSERT INTO users(name, email) VALUES (?, ?)', ['Ada again', 'ada@example.com']);
    },
  },
  {
    id: 'insert-or-ignore', group: 'data', label: 'INSERT OR IGNORE',
    async run(s) {
      await s.run('INSERT OR IGNORE INTO users(name, email) VALUES (?, ?)', ['Ada again', 'ada@example.com']);
    },
  },
  {
    id: 'upsert', group: 'data', label: 'INSERT … ON CONFLICT DO UPDATE',
    async run(s) {
      await s.all(`INSERT INTO users(name, email, age) VALUES (?, ?, ?)
  ON CONFLICT(email) DO UPDATE SET name = excluded.name, age = excluded.age
  RETURNING id, name, email, age`, ['Ada King', 'ada@example.com', 37]);
    },
  },
  {
    id: 'where', group: 'queries', label: 'WHERE with named parameters',
    async run(s) {
      await s.all('SELECT id, name, email, age FROM users WHERE age >= :min OR age IS NULL ORDER BY age DESC', { min: 40 });
    },
  },
  {
    id: 'join', group: 'queries', label: 'JOIN users and posts',
    async run(s) {
      await s.all(`SELECT p.id, u.name AS author, p.title, p.body
  FROM posts p JOIN users u ON u.id = p.user_id
  ORDER BY p.id`);
    },
  },
  {
    id: 'aggregates', group: 'queries', label: 'COUNT, AVG, GROUP BY',
    async run(s) {
      await s.get('SELECT COUNT(*) AS users, COUNT(age) AS with_age, AVG(age) AS avg_age, MIN(age) AS youngest, MAX(age) AS oldest FROM users');
      await s.all(`SELECT u.name, COUNT(p.id) AS posts
  FROM users u LEFT JOIN posts p ON p.user_id = u.id
  GROUP BY u.id ORDER BY posts DESC, u.name`);
    },
  },
  {
    id: 'types', group: 'queries', label: 'Types: BigInt, blob, NULL',
    async run(s) {
      await s.all(`SELECT 9007199254740993 AS big, typeof(9007199254740993) AS big_type,
  42 AS int, 3.5 AS real, 'text' AS text, NULL AS missing,
  x'00ff' AS blob, randomblob(8) AS random`);
      await s.all('SELECT 42 AS int, ? AS bound', [2n ** 62n], { bigint: 'always' });
    },
  },
  {
    id: 'tx-commit', group: 'tx', label: 'Transaction that commits',
    async run(s) {
      await s.get(COUNTS);
      await s.transaction(async (tx) => {
        const { lastInsertRowid } = await tx.run('INSERT INTO users(name, age) VALUES (?, ?)', ['Margaret', 33]);
        await tx.run('INSERT INTO posts(user_id, title) VALUES (?, ?)', [lastInsertRowid, 'Written in a transaction']);
        return lastInsertRowid;
      });
      await s.get(COUNTS);
    },
  },
  {
    id: 'tx-rollback', group: 'tx', label: 'Transaction that throws (rollback)',
    async run(s) {
      await s.get(COUNTS);
      try {
        await s.transaction(async (tx) => {
          await tx.run('INSERT INTO users(name, email) VALUES (?, ?)', ['Temporary', 'temp@example.com']);
          await tx.run('INSERT INTO users(name, email) VALUES (?, ?)', [null, 'nameless@example.com']);
        });
      } catch {
        // The rollback is what this action shows: the error is in its step, the counts below.
      }
      await s.get(COUNTS);
    },
  },
  {
    id: 'batch', group: 'tx', label: 'Batch (one round trip)',
    async run(s) {
      await s.batch([
        ['INSERT INTO posts(user_id, title) VALUES ((SELECT MIN(id) FROM users), ?)', ['Sent in a batch']],
        ['UPDATE users SET age = age + 1 WHERE age IS NOT NULL'],
        ['SELECT COUNT(*) AS posts FROM posts'],
      ]);
    },
  },
  {
    id: 'batch-fail', group: 'tx', label: 'Batch that fails (all or nothing)',
    async run(s) {
      await s.get(COUNTS);
      try {
        await s.batch([
          ['INSERT INTO posts(user_id, title) VALUES ((SELECT MIN(id) FROM users), ?)', ['Never kept']],
          ['INSERT INTO posts(user_id, title) VALUES ((SELECT MIN(id) FROM users), ?)', [null]],
        ]);
      } catch {
        // The failure is what this action shows: its step has the error and batchIndex.
      }
      await s.get(COUNTS);
    },
  },
  {
    id: 'err-constraint', group: 'errors', label: 'Constraint: FOREIGN KEY', expectError: true,
    async run(s) {
      await s.run('INSERT INTO posts(user_id, title) VALUES (?, ?)', [999999, 'Nobody wrote this']);
    },
  },
  {
    id: 'err-syntax', group: 'errors', label: 'Syntax error', expectError: true,
    async run(s) {
      await s.all('SELEC name FROM users');
    },
  },
  {
    id: 'err-no-table', group: 'errors', label: 'No such table', expectError: true,
    async run(s) {
      await s.all('SELECT * FROM nowhere');
    },
  },
  {
    id: 'err-strict', group: 'errors', label: 'STRICT table: text in INTEGER', expectError: true,
    async run(s) {
      await s.exec('CREATE TABLE IF NOT EXISTS readings(id INTEGER PRIMARY KEY, value INTEGER NOT NULL) STRICT');
      await s.run('INSERT INTO readings(value) VALUES (?)', ['not a number']);
    },
  },
  {
    id: 'err-mismatch', group: 'errors', label: 'Binding a Date', expectError: true,
    async run(s) {
      await s.all('SELECT ? AS day', [new Date()]);
    },
  },
];

/* Runs the editor's SQL with db.exec (arrays, so duplicate column names survive). */
function runEditor() {
  const sql = $('sql').value;
  return perform({
    id: 'editor', label: 'SQL editor',
    async run(s) {
      await s.exec(sql, undefined, { rowMode: 'array' });
    },
  });
}

/* Downloads the database file, <name>.sqlite, made by db.export(). */
function exportFile() {
  return perform({
    id: 'export', label: 'Export',
    async run(s) {
      const bytes = await s.call('db.export()', () => db.export(),
        (b) => `Uint8Array(${b.length}): a SQLite database file, downloaded as ${db.name}.sqlite`, true);
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/vnd.sqlite3' }));
      const a = el('a', { href: url, download: `${db.name}.sqlite`, hidden: '' });
      document.body.append(a);
      a.click();
      a.remove();
      // The download reads the URL after this task; release it once it surely has.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
  });
}

/* Replaces the database with the chosen file (db.import), then lists its tables. */
function importFile() {
  const input = $('import-file');
  const file = input.files?.[0];
  if (!file) return queue;
  return perform({
    id: 'import', label: `Import ${file.name}`,
    async run(s) {
      try {
        const bytes = new Uint8Array(await file.arrayBuffer());
        await s.call(`db.import(<${file.name}, ${bytes.length} bytes>)`, () => db.import(bytes),
          () => 'done: the database was replaced', true);
        await s.all(LIST_TABLES);
      } finally {
        input.value = ''; // so that choosing the same file again imports it again
      }
    },
  });
}

/* Asks, then closes the database, deletes it (OPFS) and opens a new, empty one. */
function reset() {
  if (!window.confirm(`Delete the database "${DB_NAME}" and start again with an empty one?`)) return queue;
  return perform({
    id: 'reset', label: 'Reset', opens: true,
    async run(s) {
      const old = db;
      try {
        if (old) {
          await s.call('db.close()', () => old.close(), () => 'closed; its worker ended');
          for (const off of unsubscribe) off();
          db = null;
          live = null;
          renderLiveRows();
          if (old.persistent) await s.call(`deleteDatabase(${JSON.stringify(DB_NAME)})`, () => deleteDatabase(DB_NAME));
        }
      } finally {
        await openSteps(s);
        await s.all(LIST_TABLES);
      }
    },
  });
}

/*
** Opens this page in a new tab, which joins this tab's database (as a follower while
** this one leads). Says so when the browser refused to open it.
*/
function openAnotherTab() {
  const note = $('open-tab-note');
  const tab = window.open(location.href, '_blank');
  note.textContent = tab ? '' : `the browser did not open a tab: open ${location.href} in another tab`;
}

/* Sets up the debug checkbox: localStorage 'sqlite-worker-debug', applied on reload. */
function setUpDebug() {
  const box = $('debug');
  const note = $('debug-note');
  try {
    box.checked = localStorage.getItem(DEBUG_KEY) === 'true';
  } catch {
    box.disabled = true;
    note.textContent = 'localStorage is not available here';
    return;
  }
  box.addEventListener('change', () => {
    try {
      if (box.checked) localStorage.setItem(DEBUG_KEY, 'true');
      else localStorage.removeItem(DEBUG_KEY);
      note.textContent = 'saved — reload to apply';
    } catch (e) {
      note.textContent = `not saved: ${e.message}`;
    }
  });
}

/*
** In the one-column layout (a phone), scrolls the results into view when they are
** off screen: they are far below the buttons there.
*/
function revealResults() {
  const columns = getComputedStyle(document.querySelector('.layout')).gridTemplateColumns.split(' ').length;
  const heading = $('h-results');
  const top = heading.getBoundingClientRect().top;
  if (columns > 1 || (top >= 0 && top < innerHeight / 2)) return;
  const reduce = matchMedia('(prefers-reduced-motion: reduce)').matches;
  heading.scrollIntoView({ block: 'start', behavior: reduce ? 'auto' : 'smooth' });
}

/* Builds the buttons, wires the editor and the file tools, and opens the database. */
function main() {
  for (const action of ACTIONS) {
    const button = el('button', { type: 'button', 'data-action': action.id, text: action.label });
    button.disabled = true;
    button.addEventListener('click', () => perform(action).then(revealResults));
    document.querySelector(`.buttons[data-group="${action.group}"]`).append(button);
  }
  for (const id of ['run', 'export', 'reset', 'import-file', 'live-add']) $(id).disabled = true;
  $('run').addEventListener('click', runEditor);
  $('sql').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      runEditor();
    }
  });
  $('export').addEventListener('click', exportFile);
  $('import-file').addEventListener('change', importFile);
  $('reset').addEventListener('click', reset);
  $('live-form').addEventListener('submit', addLiveUser);
  $('open-tab').addEventListener('click', openAnotherTab);
  setUpDebug();
  perform({
    id: 'open', label: 'Open the database', opens: true,
    async run(s) {
      await openSteps(s);
      enableButtons();
    },
  });
}

main();
