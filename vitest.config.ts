import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    include: ['core/**/*.test.ts', 'electron/**/*.test.ts', 'cli/**/*.test.ts', 'node/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts', 'usb-harness/**/*.test.ts', 'e2e/host/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
  },
});
