import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * How long a hook that starts the browser may take. Its first start on a fresh machine reads
 * Chromium from a cold disk: 8.7 s here with the page cache dropped (0.15 s warm), and a CI run
 * once spent more than mocha's 20 s on it together with a hook's other set-up.
 */
export const BROWSER_START_TIMEOUT_MS = 60_000;

/** Debian's chromium, as .ci/run installs it; playwright-core only drives it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Screenshots of the browser tests, kept out of git, for a person to look at. */
export function artifactPath(name: string): string {
  const dir = new URL('../../test-artifacts/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  return new URL(name, dir).pathname;
}
