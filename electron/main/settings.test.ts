import { MAX_RECENT_FILES } from '../../core/contract/validation.js';
import { defaultSettings, parseStoredSettings, withRecentFile } from './settings.js';

describe('parseStoredSettings', () => {
  it('uses the defaults for a missing or unreadable file', () => {
    expect(parseStoredSettings(undefined)).toEqual(defaultSettings);
    expect(parseStoredSettings('garbage')).toEqual(defaultSettings);
  });

  it('keeps valid fields and drops invalid or unknown ones individually', () => {
    const settings = parseStoredSettings({
      showSimulatedDevices: true,
      flashOnConnect: 'yes',
      recentFiles: ['/fw/a.hex'],
      programOptions: { erase: 'sideways', verify: true },
      windowBounds: { width: 3 },
    });
    expect(settings).toEqual({ ...defaultSettings, showSimulatedDevices: true, recentFiles: ['/fw/a.hex'] });
  });
});

describe('withRecentFile', () => {
  it('puts the newest file first without duplicates and keeps a bounded list', () => {
    let settings = defaultSettings;
    for (let index = 0; index < MAX_RECENT_FILES + 2; index += 1) settings = withRecentFile(settings, `/fw/${index}.hex`);
    settings = withRecentFile(settings, '/fw/5.hex');
    expect(settings.recentFiles[0]).toBe('/fw/5.hex');
    expect(settings.recentFiles).toHaveLength(MAX_RECENT_FILES);
    expect(new Set(settings.recentFiles).size).toBe(MAX_RECENT_FILES);
  });
});
