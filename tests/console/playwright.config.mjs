// The console's browser suite: Playwright's test runner drives Debian's chromium headless
// (nothing downloads a browser) against a real pitd that global-setup.mjs starts.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.mjs/,
  globalSetup: './global-setup.mjs',
  globalTeardown: './global-teardown.mjs',
  workers: 1,
  timeout: 30_000,
  reporter: [['list']],
  use: {
    headless: true,
    viewport: { width: 1280, height: 800 },
    launchOptions: { executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] },
  },
});
