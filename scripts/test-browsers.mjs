// test-browsers.mjs — runs the browser tests (tests/browser/) once per browser of the
// matrix, the browsers side by side: each suite spends most of its time waiting on its
// browser (workers terminated, tabs closed, locks changing hands), so two at once take
// little longer than the slower one. Each line of output is prefixed with its browser.
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

/* Runs one browser's suite, copying its output line by line with a prefix. Resolves with { browser, code, ms, summary }. */
function suite(browser) {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--test', '--test-concurrency=1', 'tests/browser/'], {
    env: { ...process.env, SQLW_BROWSER: browser },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const summary = [];
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      console.log(`[${browser}] ${line}`);
      if (/^# (tests|pass|fail|skipped) \d+$/.test(line)) summary.push(line.slice(2));
    });
  }
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ browser, code, ms: Date.now() - t0, summary }));
  });
}

const results = await Promise.all(browsers.map(suite));
console.log('');
for (const r of results) {
  console.log(`browser tests in ${r.browser}: ${r.code === 0 ? 'passed' : 'FAILED'} (${r.summary.join(', ')}) in ${(r.ms / 1000).toFixed(0)} s`);
}
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
