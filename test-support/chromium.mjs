// The one way the browser tests and the page benchmark get a browser: the system's Chromium
// (Debian's `chromium` package, which .ci/run installs), driven by playwright-core. No browser is
// downloaded. Where none is installed the tests skip and the bench says so.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The Chromium to drive: $CHROMIUM_PATH, else the first system one found; undefined when none. @type {string | undefined} */
export const chromiumPath = process.env.CHROMIUM_PATH || CANDIDATES.find((p) => existsSync(p));

export const noChromiumMessage = `no Chromium found (set CHROMIUM_PATH, or install Debian's "chromium" package; looked at ${CANDIDATES.join(', ')})`;

/**
 * Headless, as root in a sandbox, with nothing that calls out to the network. `extraArgs` adds
 * flags, e.g. `--host-resolver-rules=MAP evil.example 127.0.0.1` for a second origin on this machine.
 * @param {string[]} [extraArgs]
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchChromium(extraArgs = []) {
  if (!chromiumPath) throw new Error(noChromiumMessage);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', ...extraArgs],
  });
}
