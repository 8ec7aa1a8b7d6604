// Runs only the virtual-USB integration tests: `npx vitest run -c usb-harness/vitest.config.ts`.
// They start real processes (the C host, libusb clients, dfu-util), so each file gets its own
// worker and a longer timeout than the unit tests.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    root: new URL('..', import.meta.url).pathname,
    include: ['usb-harness/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
