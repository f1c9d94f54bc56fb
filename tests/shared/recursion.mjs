// recursion.mjs — the recursion shapes of SQL, for the limit tests in Node
// (tests/node/limits.test.mjs) and in each browser's worker (tests/browser/limits.test.mjs).
// Each shape nests or chains one construct n times; SQLite must refuse a deep one with its
// own error (expression depth, parser stack, compound terms, views, triggers, JSON depth)
// before any stack (the wasm stack in linear memory, or the engine's native stack under
// it) runs out. walk() climbs each shape until SQLite says no.
//
// A shape is { setup?: [sql], sql: (n) => sql }; setup runs once on a fresh database.
// Shapes are plain functions of n with no outside references, so the browser tests can
// send their source to the page.

export const SHAPES = {
  parentheses: { sql: (n) => `SELECT ${'('.repeat(n)}1${')'.repeat(n)}` },
  concat: { sql: (n) => `SELECT ${Array(n).fill("'a'").join(' || ')}` },
  plus: { sql: (n) => `SELECT ${Array(n).fill('1').join(' + ')}` },
  and: { sql: (n) => `SELECT ${Array(n).fill('1').join(' AND ')}` },
  or: { sql: (n) => `SELECT ${Array(n).fill('0').join(' OR ')}` },
  not: { sql: (n) => `SELECT ${'NOT '.repeat(n)}1` },
  negate: { sql: (n) => `SELECT ${'- '.repeat(n)}1` },
  collate: { sql: (n) => `SELECT 'a'${' COLLATE nocase'.repeat(n)}` },
  case: { sql: (n) => `SELECT ${'CASE WHEN 1 THEN '.repeat(n)}1${' END'.repeat(n)}` },
  functions: { sql: (n) => `SELECT ${'abs('.repeat(n)}1${')'.repeat(n)}` },
  subqueries: { sql: (n) => `SELECT ${'(SELECT '.repeat(n)}1${')'.repeat(n)}` },
  from: { sql: (n) => `SELECT * FROM ${'(SELECT * FROM '.repeat(n)}(SELECT 1)${')'.repeat(n)}` },
  compound: { sql: (n) => Array(n).fill('SELECT 1').join(' UNION ALL ') },
  ctes: {
    sql: (n) => `WITH ${Array.from({ length: n + 1 }, (_, i) => (i === 0 ? 'c0 AS (SELECT 1 AS x)'
      : `c${i} AS (SELECT x FROM c${i - 1})`)).join(', ')} SELECT x FROM c${n}`,
    // SQLite's time to prepare n CTEs grows with n² (20,000: ~0.8 s in Node), and the
    // progress handler does not run while a statement is prepared.
    max: 10_000,
  },
  views: {
    // 3,000 views, each over the one before; the query reads view n.
    setup: ['CREATE VIEW v0 AS SELECT 1 AS x',
      ...Array.from({ length: 3000 }, (_, i) => `CREATE VIEW v${i + 1} AS SELECT x FROM v${i}`)],
    sql: (n) => `SELECT x FROM v${Math.min(n, 3000)}`,
    max: 3000,
  },
  viewsStepwise: {
    // The same chain read 100 levels deeper at a time, in one script: SQLite remembers
    // the column names of each view it has read, and does not count those levels again.
    setup: ['CREATE VIEW v0 AS SELECT 1 AS x',
      ...Array.from({ length: 3000 }, (_, i) => `CREATE VIEW v${i + 1} AS SELECT x FROM v${i}`)],
    sql: (n) => Array.from({ length: Math.ceil(Math.min(n, 3000) / 100) }, (_, i) => `SELECT x FROM v${Math.min((i + 1) * 100, n, 3000)}`).join('; '),
    max: 3000,
  },
  triggers: {
    // A trigger that fires itself n times (recursive triggers on).
    setup: ['PRAGMA recursive_triggers = ON', 'CREATE TABLE tr(x)', 'CREATE TABLE lim(n)',
      'CREATE TRIGGER trg AFTER INSERT ON tr WHEN new.x < (SELECT n FROM lim) BEGIN INSERT INTO tr VALUES (new.x + 1); END'],
    sql: (n) => `DELETE FROM tr; DELETE FROM lim; INSERT INTO lim VALUES (${n}); INSERT INTO tr VALUES (0)`,
  },
  json: { sql: (n) => `SELECT json('${'['.repeat(n)}${']'.repeat(n)}')` },
  jsonPath: { sql: (n) => `SELECT json_extract('${'['.repeat(n)}1${']'.repeat(n)}', '$${'[0]'.repeat(n)}')` },
};

/** The most terms any walk tries (a "100,000-term expression"). */
export const WALK_MAX = 100_000;

/**
 * Climbs shape `shape` with `run(sql, setup?)` (async; resolves { ok: true } or
 * { code, message }, and must throw only when the database stopped answering): doubles n
 * from 1 until SQLite refuses, then bisects to the deepest n it accepts. Returns
 * { deepest, refused: { n, code, message } } — refused is null when even WALK_MAX (or the
 * shape's max) passes.
 */
export async function walk(shape, run) {
  const top = shape.max ?? 100_000;   // WALK_MAX, written out: the browser test sends this function's source
  let good = 0;
  let bad = null;
  let refusal = null;
  for (let n = 1; ; n = Math.min(n * 2, top)) {
    const r = await run(shape.sql(n));
    if (!r.ok) {
      bad = n;
      refusal = r;
      break;
    }
    good = n;
    if (n === top) return { deepest: good, refused: null };
  }
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    const r = await run(shape.sql(mid));
    if (r.ok) good = mid;
    else {
      bad = mid;
      refusal = r;
    }
  }
  // The largest input is refused by SQLite too, not by a stack.
  const huge = top > bad ? await run(shape.sql(top)) : refusal;
  return { deepest: good, refused: { n: bad, code: refusal.code, message: refusal.message }, huge };
}
