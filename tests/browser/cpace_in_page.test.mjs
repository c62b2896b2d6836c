// web/src/cpace.js in the pages: @noble/curves, vendored under /vendor/ and
// found through the pages' import map (allowed by its hash in the CSP),
// loads in Chromium and reproduces draft-irtf-cfrg-cpace-21's B.3
// generator and shares, with no CSP violation or console error.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gotoPage, openPage, startSession, withCleanup } from './harness.mjs';

const vectors = JSON.parse(readFileSync(new URL('../vectors/external/cpace-ristretto255-sha512.json', import.meta.url), 'utf8'));

test('cpace.js loads in both pages and computes the draft\'s g, Ya and Yb', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const r = vectors.ristretto255;
  for (const path of ['/', '/pair']) {
    const page = await openPage(browser, { name: path });
    await gotoPage(page, `${app.origin}${path}`);
    const out = await page.evaluate(async (v) => {
      const { calculateGenerator, scalarMult } = await import('/src/cpace.js');
      const { hexDecode, hexEncode } = await import('/src/bytes.js');
      const g = await calculateGenerator(hexDecode(v.generator.PRS), hexDecode(v.generator.CI), hexDecode(v.generator.sid));
      return { g: hexEncode(g.toBytes()), Ya: hexEncode(scalarMult(hexDecode(v.ya), g)), Yb: hexEncode(scalarMult(hexDecode(v.yb), g)) };
    }, r);
    assert.deepEqual(out, { g: r.generator.g, Ya: r.Ya, Yb: r.Yb }, path);
    page.assertClean();
  }
}));
