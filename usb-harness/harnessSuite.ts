// describe() for tests that need the virtual USB bus: where it cannot run (no umockdev, not Linux)
// the suite is skipped and its title says why, so a skipped run never looks like a passing one.
import { harnessAvailability } from './hostBuild.js';

export function describeWithHarness(name: string, body: () => void): void {
  const availability = harnessAvailability();
  if (availability.ok) {
    describe(name, body);
    return;
  }
  describe.skip(`${name} [skipped: ${availability.reason}]`, body);
}
