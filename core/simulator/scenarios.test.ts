import { isDfuError } from '../errors.js';
import { DfuStatus } from '../dfu/spec.js';
import { parseScenario, parseSimulatorSpec, scenarios, simulatorCatalog } from './scenarios.js';

describe('scenarios', () => {
  it('parses "profile:scenario" with arguments and combinations', () => {
    const { profile, scenario } = parseSimulatorSpec('stm32l073:unplugMidWrite');
    expect(profile.id).toBe('stm32l073');
    expect(scenario.disconnect).toEqual({ during: 'write', after: 3, replugAfterMs: 2000 });
    expect(parseSimulatorSpec(' STM32F405 ').scenario.id).toBe('healthy');
    expect(parseScenario('disconnectAfter:40').disconnect).toMatchObject({ during: 'any', after: 40 });
    expect(parseScenario('eraseError:3+strict')).toMatchObject({ eraseError: { nth: 3, status: DfuStatus.errERASE }, strict: true, id: 'eraseError:3+strict' });
    expect(parseScenario('lyingPollTimeout:long').lyingPollTimeout).toBe('long');
    expect(parseScenario('slowMassErase:3').massEraseFactor).toBe(3);
    expect(parseScenario('stuckBusy').stuckBusy).toEqual({ nth: 1, release: 'two-clrstatus' });
  });

  it('refuses unknown names and bad arguments with an invalid-argument DfuError', () => {
    for (const spec of ['stm32x999', 'stm32l073:nope', 'stm32l073:disconnectAfter', 'stm32l073:eraseError:two', 'stm32l073:lyingPollTimeout:sideways']) {
      let caught: unknown;
      try {
        parseSimulatorSpec(spec);
      } catch (error) {
        caught = error;
      }
      expect(isDfuError(caught, 'invalid-argument')).toBe(true);
    }
  });

  it('presets exist for every named scenario that needs no argument', () => {
    expect(Object.keys(scenarios)).toEqual(expect.arrayContaining(['healthy', 'readProtected', 'unplugMidWrite', 'eraseError', 'writeError', 'stuckBusy', 'lyingPollTimeout', 'errorAtConnect', 'slowMassErase', 'blank', 'strict']));
    expect(scenarios.disconnectAfter).toBeUndefined();
  });

  it('lists profiles and scenarios for the CLI and the app', () => {
    const catalog = simulatorCatalog();
    expect(catalog.profiles.map((p) => p.id)).toEqual(expect.arrayContaining(['stm32l073', 'stm32f405', 'stm32h743', 'stm32l476']));
    expect(catalog.scenarios.find((s) => s.id === 'disconnectAfter')).toMatchObject({ argument: 'N' });
    for (const entry of catalog.scenarios) expect(entry.summary.length).toBeGreaterThan(10);
  });
});
