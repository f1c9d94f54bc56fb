// run.mjs — runs SQLite's sqllogictest corpus through our executors and prints, per
// executor, a table of the scripts (records, run, passed, failed, skipped, time), the
// first failures of each script, and a total line.
//
//   node tests/slt/run.mjs [--node] [--browser] [--if-present] [files…]
//
// --node: the wasm build in Node (node-executor.mjs); --browser: the public API in
// headless Chromium on OPFS (browser-executor.mjs); neither: both. files: scripts as
// paths, or relative to the corpus's test/ folder (select1.test, evidence/in1.test);
// none: every *.test of the corpus. The corpus is read in place from ../shared/slt
// beside the repository, or from $SQLW_SLT_DIR.
//
// Exit status: 0 when every record that runs passes, 1 when one fails, 2 when the corpus
// or a named script is missing or the arguments are wrong. --if-present (make test, on
// machines without the corpus): a missing corpus is announced as loudly, but exits 0.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript } from './slt.mjs';

/** The repository root. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The corpus folder: $SQLW_SLT_DIR, else ../shared/slt beside the repository. */
export const SLT_DIR = process.env.SQLW_SLT_DIR
  ? path.resolve(process.env.SQLW_SLT_DIR)
  : path.resolve(ROOT, '..', 'shared', 'slt');

/** The message of a missing corpus, naming where it was looked for. */
export function missingCorpusMessage(dir = SLT_DIR) {
  return `SQLLOGICTEST CORPUS NOT FOUND: no ${path.join(dir, 'test')} folder.\n`
    + `The conformance suite reads SQLite's sqllogictest scripts in place from ${dir}\n`
    + '(../shared/slt beside the repository); set SQLW_SLT_DIR to where they are.';
}

/** Every *.test file under dir, recursively, as sorted paths relative to dir. */
export function listScripts(dir) {
  return fs.readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.test') && fs.statSync(path.join(dir, f)).isFile())
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

/* A script argument as { label, file }: a path as given, else relative to the corpus. */
function resolveScript(arg, testDir) {
  for (const file of [path.resolve(arg), path.join(testDir, arg), path.join(SLT_DIR, arg)]) {
    if (fs.existsSync(file) && fs.statSync(file).isFile()) {
      const rel = path.relative(testDir, file);
      return { label: rel.startsWith('..') ? arg : rel.split(path.sep).join('/'), file };
    }
  }
  return null;
}

/* Right-aligns numbers (with thousands separators) in a column of `width`. */
const num = (n, width) => n.toLocaleString('en-US').padStart(width);

/* Prints one script's row of the table and its first failures. */
function printReport(r, width) {
  console.log(`${r.file.padEnd(width)} ${num(r.records, 7)} ${num(r.run, 7)} ${num(r.passed, 7)} `
    + `${num(r.failed, 6)} ${num(r.skipped, 7)} ${num(r.ignored, 7)} ${(r.ms / 1000).toFixed(1).padStart(7)}`);
  for (const f of r.failures) {
    console.log(`  FAIL ${r.file}:${f.line}: ${f.reason}`);
    console.log(`    sql:      ${f.sql.split('\n').join('\n              ')}`);
    console.log(`    expected: ${f.expected.join(' | ')}`);
    if (f.got.length) console.log(`    got:      ${f.got.join(' | ')}`);
  }
  if (r.failed > r.failures.length) console.log(`  … and ${r.failed - r.failures.length} more failures in ${r.file}`);
}

/*
** Runs scripts ([{ label, file }]) through the executor made by `create` (an executor of
** slt.mjs with a `name` and a `dispose()` that ends it), printing as it goes. Returns
** the totals { records, run, passed, failed, skipped, ignored, ms }.
*/
async function runAll(create, scripts) {
  const started = performance.now();
  const executor = await create();
  const width = Math.max(20, ...scripts.map((s) => s.label.length));
  const total = { records: 0, run: 0, passed: 0, failed: 0, skipped: 0, ignored: 0, ms: 0 };
  console.log(`\n${executor.name}`);
  console.log(`${'script'.padEnd(width)} ${'records'.padStart(7)} ${'run'.padStart(7)} ${'passed'.padStart(7)} `
    + `${'failed'.padStart(6)} ${'skipped'.padStart(7)} ${'ignored'.padStart(7)} ${'s'.padStart(7)}`);
  try {
    for (const [i, { label, file }] of scripts.entries()) {
      const r = await runScript(fs.readFileSync(file, 'utf8'), executor, { file: label, name: String(i) });
      printReport(r, width);
      for (const k of ['records', 'run', 'passed', 'failed', 'skipped', 'ignored']) total[k] += r[k];
    }
  } finally {
    await executor.dispose();
  }
  total.ms = performance.now() - started;
  console.log(`${executor.name}: ${total.passed.toLocaleString('en-US')} passed, ${total.failed.toLocaleString('en-US')} failed `
    + `(${total.run.toLocaleString('en-US')} records run of ${total.records.toLocaleString('en-US')}; `
    + `${total.skipped.toLocaleString('en-US')} skipped for other engines; `
    + `${total.ignored} runtime error${total.ignored === 1 ? '' : 's'} ignored, as the original driver does) `
    + `in ${(total.ms / 1000).toFixed(1)} s`);
  return total;
}

/* Parses the arguments, runs the executors asked for and sets the exit status. */
async function main(argv) {
  const flags = argv.filter((a) => a.startsWith('--'));
  const unknown = flags.filter((a) => a !== '--node' && a !== '--browser' && a !== '--if-present');
  if (unknown.length) {
    console.error(`unknown option ${unknown[0]}; usage: node tests/slt/run.mjs [--node] [--browser] [--if-present] [files…]`);
    return 2;
  }
  const testDir = path.join(SLT_DIR, 'test');
  if (!fs.existsSync(testDir)) {
    console.error(`\n${'!'.repeat(78)}\n${missingCorpusMessage()}\n${'!'.repeat(78)}\n`);
    if (flags.includes('--if-present')) {
      console.error('THE CONFORMANCE SUITE DID NOT RUN (make conformance fails without the corpus).\n');
      return 0;
    }
    return 2;
  }
  const args = argv.filter((a) => !a.startsWith('--'));
  const scripts = [];
  for (const arg of args) {
    const s = resolveScript(arg, testDir);
    if (!s) {
      console.error(`no such script: ${arg} (looked in the current folder and ${testDir})`);
      return 2;
    }
    scripts.push(s);
  }
  if (!args.length) scripts.push(...listScripts(testDir).map((f) => ({ label: f, file: path.join(testDir, f) })));
  const both = !flags.includes('--node') && !flags.includes('--browser');
  let failed = 0;
  if (both || flags.includes('--node')) {
    const { createNodeExecutor } = await import('./node-executor.mjs');
    failed += (await runAll(createNodeExecutor, scripts)).failed;
  }
  if (both || flags.includes('--browser')) {
    const { createBrowserExecutor } = await import('./browser-executor.mjs');
    failed += (await runAll(createBrowserExecutor, scripts)).failed;
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
