// types.test.mjs — the declarations (index.d.ts and the subpaths', package.json "exports")
// as an app's strict TypeScript build reads them: an app that uses every entry point is
// type-checked by TypeScript 5.9 (Bytes = Uint8Array<ArrayBuffer>, which Blob, Response
// and crypto.subtle take) and 5.6 (the "types@<5.7" declarations, Uint8Array not
// generic), and a wrong use fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PARTIAL = process.env.SQLW_PROTO_SHIFTED === '1' && 'a partial build (proto-shift)';

const APP = `
import { openDatabase, Database, SQLiteError, WORKER_TIMEOUT, type Bytes, type Row, type SQLResultValue } from 'sqlite-worker';
import { openDatabase as openOneFile } from 'sqlite-worker/single';
import { loadCore, type Connection } from 'sqlite-worker/core';
import { createNodeHost } from 'sqlite-worker/host-node';
import { codeName, SQLiteError as ErrorClass } from 'sqlite-worker/errors';
import 'sqlite-worker/worker';

export async function app(): Promise<number> {
  const db = await openDatabase('app', { persistence: 'memory', timeoutMs: 1000 });
  if (!(db instanceof Database)) throw new Error('not a Database');
  const image: Bytes = await db.export();
  const blob = new Blob([image]);
  const digest = await crypto.subtle.digest('SHA-256', image);
  const row = await db.get<{ data: Bytes | null }>('SELECT data FROM t WHERE id = ?', [1]);
  if (row?.data) await new Response(row.data).arrayBuffer();
  const one: Row | undefined = await db.get('SELECT x\\'00\\' AS b');
  const b = one?.b;
  if (b instanceof Uint8Array) await crypto.subtle.digest('SHA-256', b);
  const reader = (await db.export({ stream: true })).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) new Blob([r.value]);
  await db.transaction(async (tx) => { await tx.run('INSERT INTO t VALUES (?)', [2n ** 62n]); });
  const nested: number = await db.transaction((tx) => tx.transaction(async (inner) => (await inner.run('SELECT 1')).changes as number));
  const open: boolean = db.inTransaction;
  // Counts follow the bigint mode; a database's rowMode and bigint are its calls' defaults.
  const counted: number = (await db.run('DELETE FROM t')).changes;
  const countedBig: bigint = (await db.run('DELETE FROM t', [], { bigint: 'always' })).changes;
  const arrayDb = await openDatabase('arrays', { persistence: 'memory', rowMode: 'array', bigint: 'always' });
  const arrayRows: SQLResultValue[][] = await arrayDb.all('SELECT 1');
  const objectRows: Row[] = await arrayDb.all('SELECT 1 AS a', [], { rowMode: 'object' });
  const bigCount: bigint = (await arrayDb.exec('SELECT 1')).changes;
  const inTx: SQLResultValue[][] = await arrayDb.transaction((tx) => tx.all('SELECT 1'));
  console.log(counted, countedBig, arrayRows, objectRows, bigCount, inTx);
  for await (const row of db.iterate<{ id: number }>('SELECT id FROM t', [], { chunkRows: 100 })) console.log(row.id);
  for await (const [v] of db.iterate('SELECT 1', null, { rowMode: 'array' })) console.log(v);
  console.log(nested, open);
  // Live queries and change events.
  const live = db.live<{ id: number }>('SELECT id FROM t WHERE id > ?', [0], { rowMode: 'object' });
  const off = live.subscribe((rows) => console.log(rows?.[0]?.id, rows?.columns), (e) => console.log(e.message));
  const snap: { id: number }[] | undefined = live.getSnapshot();
  const arrayLive = arrayDb.live('SELECT 1');
  const cell: SQLResultValue | undefined = arrayLive.getSnapshot()?.[0]?.[0];
  const offChange = db.on('change', (e) => { const seq: bigint = e.seq; console.log(e.tables.join(), e.local, e.schema, e.all, seq); });
  off();
  offChange();
  console.log(snap, cell, live.runs);
  // Rows follow the call's rowMode.
  const objects = await db.all('SELECT 1 AS a');
  const a: SQLResultValue = objects[0].a;
  const arrays = await db.all('SELECT 1 AS a', [], { rowMode: 'array' });
  const first: SQLResultValue = arrays[0][0];
  const oneArray = await db.get('SELECT 1', null, { rowMode: 'array', bigint: 'always' });
  const script = await db.exec('SELECT 1 AS a; SELECT 2 AS b', [], { rowMode: 'array' });
  const batched = await db.batch(['SELECT 1'], { rowMode: 'array' });
  console.log(a, first, oneArray?.[0], script.rows[0][0], batched[0].rows[0][0], objects.columns);
  const id = 1;
  const tagged = await db.sql<{ id: number; data: Bytes }>\`SELECT id, data FROM t WHERE id = \${id} AND name = \${'a'}\`;
  if (tagged[0]) await crypto.subtle.digest('SHA-256', tagged[0].data);
  try {
    await db.exec('SELEC 1');
  } catch (e) {
    if (e instanceof SQLiteError && e.code !== WORKER_TIMEOUT) console.log(e.errno, e.offset);
  }
  const core = await loadCore({ wasm: new URL('file:///sqlite-worker.wasm'), host: createNodeHost({ root: '.' }) });
  const c: Connection = core.open('/m', { vfs: 'memdb' });
  const copy: Bytes = c.export();
  await crypto.subtle.digest('SHA-256', copy);
  console.log(codeName(5), ErrorClass === SQLiteError, openOneFile);
  await db.close();
  return blob.size + digest.byteLength;
}
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext',
    lib: ['es2022', 'dom', 'dom.iterable'], types: [], skipLibCheck: false,
  },
  files: ['app.ts'],
};

/* An app on sqlite-worker/drizzle and sqlite-worker/kysely. Drizzle's own declarations
** need skipLibCheck (as its docs say), which would also hide a broken declaration of
** ours: the @ts-expect-error lines fail the check if our types fell back to any. */
const ORM_APP = `
import { openDatabase } from 'sqlite-worker';
import { drizzle, migrate } from 'sqlite-worker/drizzle';
import { SQLiteWorkerDialect } from 'sqlite-worker/kysely';
import { Kysely, type Dialect } from 'kysely';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

const todo = sqliteTable('todo', { id: integer('id').primaryKey(), title: text('title').notNull() });
interface DB { todo: { id: number; title: string } }

export async function app(): Promise<number> {
  const db = await openDatabase('app', { persistence: 'memory' });
  const orm = drizzle(db, { schema: { todo } });
  await migrate(orm, { journal: { entries: [] }, migrations: {} });
  const todos: { id: number; title: string }[] = await orm.select().from(todo);
  await orm.transaction(async (tx) => { await tx.insert(todo).values({ id: 1, title: 'a' }); });
  const dialect: Dialect = new SQLiteWorkerDialect({ database: db });
  const k = new Kysely<DB>({ dialect });
  const titles: string[] = (await k.selectFrom('todo').select('title').execute()).map((r) => r.title);
  new SQLiteWorkerDialect({ database: async () => db });
  // @ts-expect-error: drizzle takes a Database
  drizzle(42);
  // @ts-expect-error: the dialect needs { database }
  new SQLiteWorkerDialect({});
  // @ts-expect-error: migrate takes drizzle-kit's { journal, migrations }
  await migrate(orm, { migrations: {} });
  return todos.length + titles.length;
}
`;

/* A project in a temporary directory with this package as node_modules/sqlite-worker. */
function project(app, tsconfig = TSCONFIG) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-types-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'sqlite-worker'));
  // The ORMs the app uses beside it (sqlite-worker's optional peer dependencies).
  for (const dep of ['drizzle-orm', 'kysely']) fs.symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(dir, 'node_modules', dep));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  fs.writeFileSync(path.join(dir, 'app.ts'), app);
  return dir;
}

/* Runs TypeScript package `pkg` on the project in dir. Returns { status, out }. */
function tsc(pkg, dir) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', pkg, 'bin', 'tsc'), '-p', dir],
    { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

for (const [number, pkg] of [['100', 'typescript'], ['110', 'typescript-5.6']]) {
  test(`${number} an app using every entry point type-checks under ${pkg} --strict`, { skip: PARTIAL }, () => {
    const dir = project(APP);
    try {
      const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
      const r = tsc(pkg, dir);
      assert.equal(r.status, 0, `TypeScript ${version}:\n${r.out}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const [number, pkg] of [['130', 'typescript'], ['140', 'typescript-5.6']]) {
  test(`${number} an app on sqlite-worker/drizzle and sqlite-worker/kysely type-checks under ${pkg} --strict`, { skip: PARTIAL }, () => {
    const dir = project(ORM_APP, { ...TSCONFIG, compilerOptions: { ...TSCONFIG.compilerOptions, skipLibCheck: true } });
    try {
      const r = tsc(pkg, dir);
      assert.equal(r.status, 0, r.out);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('120 a wrong use is refused (the check reads these declarations)', { skip: PARTIAL }, () => {
  const dir = project(`
import { openDatabase } from 'sqlite-worker';
export async function wrong(): Promise<void> {
  const db = await openDatabase('app', { persistance: 'memory' });
  const n: number = await db.export();
  new Database();
  const rows = await db.all('SELECT 1 AS a', [], { rowMode: 'array' });
  console.log(rows[0].a, n);
  const arrayDb = await openDatabase('arrays', { rowMode: 'array' });
  const notObjects = await arrayDb.all('SELECT 1 AS b');
  console.log(notObjects[0].b);
  const notNumber: number = (await db.run('SELECT 1', [], { bigint: 'always' })).changes;
  console.log(notNumber);
  const notLocal: string = db.on('change', (e) => e.local);
  db.live('SELECT 1').subscribe((rows) => rows?.[0].nope);
  console.log(notLocal);
}
import { Database } from 'sqlite-worker';
`);
  try {
    const r = tsc('typescript', dir);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /persistance/);                     // an unknown option
    assert.match(r.out, /not assignable to type 'number'/);  // export() gives bytes
    assert.match(r.out, /private/);                         // Databases come from openDatabase
    assert.match(r.out, /Property 'a' does not exist/);     // array rows are not objects
    assert.match(r.out, /Property 'b' does not exist/);     // a database's rowMode is its calls' default
    assert.match(r.out, /'bigint' is not assignable to type 'number'/);  // bigint: 'always' counts are bigints
    assert.match(r.out, /'\(\) => void' is not assignable to type 'string'/);  // on() returns the unsubscribe
    assert.match(r.out, /Property 'nope' does not exist/);  // live rows are typed
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
