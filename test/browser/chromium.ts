// Headless Chromium for the browser tests: Debian's package (`apt-get install chromium`,
// done by .ci/run), driven by playwright-core, which brings no browser of its own.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** `args`: more Chromium flags. */
export async function launchChromium(args: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`the browser tests need Chromium at ${CHROMIUM_PATH}: apt-get install chromium (.ci/run installs it)`);
  }
  // --no-sandbox: the tests run as root (CI), where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', ...args] });
}
