// The steps of a typed-code login on the pages, with the keyboard alone:
// the desktop's "Can't scan? Use a code" and the code it shows, and the
// phone's "Enter a code".
import assert from 'node:assert/strict';
import { tabTo } from './harness.mjs';

// The code the desktop shows (another than `not`): its grouped digits and
// its accessible name.
export async function shownCode(desktop, { not = '' } = {}) {
  await desktop.waitForFunction((old) => {
    const box = document.getElementById('typed-code');
    return box && !box.closest('[hidden]') && box.getAttribute('aria-label') && box.textContent !== old;
  }, not);
  const box = desktop.locator('#typed-code');
  return { display: await box.textContent(), spoken: await box.getAttribute('aria-label') };
}

// "Can't scan? Use a code": the code shown, and focus moved to it.
export async function startCodeOnDesktop(desktop) {
  await tabTo(desktop, 'use-code');
  await desktop.keyboard.press('Enter');
  const code = await shownCode(desktop);
  assert.equal(await desktop.evaluate(() => document.activeElement?.id), 'typed-heading', 'focus moves to the code');
  return code;
}

export async function typeCodeOnPhone(phone, text) {
  await tabTo(phone, 'enter-code');
  await phone.keyboard.type(text);
  await phone.keyboard.press('Enter');
}
