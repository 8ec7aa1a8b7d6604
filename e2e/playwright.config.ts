import { defineConfig } from '@playwright/test';
import type { AppOptions } from './fixtures/app.js';
import { ELECTRON_SKIP_MESSAGE, electronBinary } from './fixtures/electronBinary.js';

// Said once, by the runner process (workers load this file too).
if (!electronBinary() && process.env.TEST_WORKER_INDEX === undefined) process.stdout.write(`${ELECTRON_SKIP_MESSAGE}\n`);

// Two targets, same specs: the built renderer in Debian's Chromium through the test host (runs
// everywhere), and the packaged Electron app (skips with a message where no runtime was downloaded).
export default defineConfig<AppOptions>({
  testDir: './specs',
  // A sub-folder: Playwright empties its outputDir, and test-results/ also holds other runners' reports.
  outputDir: '../test-results/e2e',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: process.env.CI ? 2 : 3,
  // CI machines are 2 shared cores and the simulated boards run on a real (sped-up) clock: one retry
  // absorbs scheduler jitter, and scripts/test.mjs prints every test that needed it as flaky.
  retries: process.env.CI ? 1 : 0,
  // scripts/test.mjs sets PLAYWRIGHT_JSON_OUTPUT_NAME to count the results.
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [['list'], ['json']] : [['list']],
  use: { viewport: { width: 1280, height: 800 }, trace: 'off' },
  projects: [
    { name: 'chromium', use: { target: 'chromium' } },
    { name: 'electron', use: { target: 'electron' } },
  ],
});
