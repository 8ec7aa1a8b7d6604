// App settings: defaults, reading what was stored (leniently: a damaged or older file never stops
// the app; each bad field falls back to its default), and the recent-files list.

import type { Settings } from '../../core/contract/programmer.js';
import { MAX_RECENT_FILES, validateStoredSettings } from '../../core/contract/validation.js';

export const defaultSettings: Settings = {
  showSimulatedDevices: false,
  recentFiles: [],
  flashOnConnect: false,
  programOptions: { erase: 'touched', verify: true },
  flashSizeLimits: {},
};

/** Settings from whatever the settings file held; unknown or invalid fields are dropped one by one. */
export function parseStoredSettings(stored: unknown): Settings {
  if (typeof stored !== 'object' || stored === null) return defaultSettings;
  let settings = defaultSettings;
  for (const [key, value] of Object.entries(stored as Record<string, unknown>)) {
    try {
      const patch = validateStoredSettings({ [key]: value });
      settings = { ...settings, ...patch };
    } catch {
      // Dropped: the default stays.
    }
  }
  return settings;
}

/** Moves `path` to the front of the recent files, without duplicates, keeping the newest few. */
export function withRecentFile(settings: Settings, path: string): Settings {
  const recentFiles = [path, ...settings.recentFiles.filter((recent) => recent !== path)].slice(0, MAX_RECENT_FILES);
  return { ...settings, recentFiles };
}
