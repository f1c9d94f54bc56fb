// tabs.mjs — tabs of one browser session for the tests that open several (multitab,
// live): each records its uncaught errors, so a test can assert there were none.

import assert from 'node:assert/strict';
import { bounded } from './driver.mjs';

/*
** The tab helpers over session `s` (driver.mjs openSession): newTab() opens a tab on the
** session's fixture and records its 'pageerror' messages; closeTabs(pages) closes those
** still open, bounded by callMs each (cleanup only: a tab that will not close goes with
** the browser); assertNoPageErrors(pages) fails if any of them reported an error.
*/
export function tabHelpers(s, callMs) {
  const pageErrors = new Map();   // Page -> the messages of its 'pageerror' events
  return {
    async newTab() {
      const page = await s.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      pageErrors.set(page, errors);
      return page;
    },
    async closeTabs(pages) {
      for (const page of pages) {
        if (!page.isClosed()) await bounded(page.close(), callMs, 'closing a tab').catch(() => {});
      }
    },
    assertNoPageErrors(pages) {
      assert.deepEqual(pages.flatMap((p) => pageErrors.get(p) ?? []), [], 'uncaught errors in the tabs');
    },
  };
}
