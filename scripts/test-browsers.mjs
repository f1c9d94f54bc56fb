// test-browsers.mjs — runs the browser tests (tests/browser/) once per browser of the
// matrix, then SQLite's sqllogictest corpus through the public API in that browser
// (tests/slt/run.mjs --browser; announced and skipped where the corpus is missing), the
// browsers side by side: each suite spends most of its time waiting on its browser
// (workers terminated, tabs closed, locks changing hands), so two at once take little
// longer than the slower one. Each line of output is prefixed with its browser.
// Exits non-zero when any browser's suite fails.
//
// Usage: node scripts/test-browsers.mjs chromium firefox

import { spawn } from 'node:child_process';
import readline from 'node:readline';

const browsers = process.argv.slice(2);
if (browsers.length === 0) {
  console.error('usage: node scripts/test-browsers.mjs <browser>…  (chromium, firefox)');
  process.exit(2);
}

/*
** Runs `args` with node in `browser`, copying its output line by line with a prefix;
** lines matching `keep` are collected. Resolves with { code, kept }.
*/
function run(browser, args, keep) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, SQLW_BROWSER: browser },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kept = [];
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      console.log(`[${browser}] ${line}`);
      if (keep.test(line)) kept.push(line);
    });
  }
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, kept }));
  });
}

/* One browser's tests, then its conformance pass. Resolves with { browser, code, ms, summary }. */
async function suite(browser) {
  const t0 = Date.now();
  const tests = await run(browser, ['--test', '--test-concurrency=1', 'tests/browser/'], /^# (tests|pass|fail|skipped) \d+$/);
  const slt = await run(browser, ['tests/slt/run.mjs', '--browser', '--if-present'], /records run|NOT FOUND/);
  const summary = [...tests.kept.map((l) => l.slice(2)), ...slt.kept.map((l) => l.replace(/^\w+: /, 'conformance: ').replace(/ \(.*/, ''))];
  return { browser, code: tests.code || slt.code, ms: Date.now() - t0, summary };
}

const results = await Promise.all(browsers.map(suite));
console.log('');
for (const r of results) {
  console.log(`browser tests in ${r.browser}: ${r.code === 0 ? 'passed' : 'FAILED'} (${r.summary.join(', ')}) in ${(r.ms / 1000).toFixed(0)} s`);
}
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
