import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { judge } from './electronegativity.mjs';

const root = path.resolve(import.meta.dirname, '..');

function finding(check: string, severity: string, file = 'electron/main/index.ts') {
  return { check, severity, confidence: 'CERTAIN', file, line: 3, sample: 'nodeIntegration: true', description: '' };
}

describe('judge', () => {
  it('fails HIGH and MEDIUM findings that are not allowed, ignores lower ones', () => {
    const result = judge([finding('A', 'HIGH'), finding('B', 'MEDIUM'), finding('C', 'LOW'), finding('D', 'INFORMATIONAL')], []);
    expect(result.failures.map((entry: { check: string }) => entry.check)).toEqual(['A', 'B']);
  });

  it('allows a finding only for the reviewed check and file, and reports stale entries', () => {
    const allowList = [
      { check: 'A', file: 'electron/main/index.ts', reason: 'reviewed' },
      { check: 'B', file: 'electron/main/other.ts', reason: 'reviewed elsewhere' },
    ];
    const result = judge([finding('A', 'HIGH'), finding('B', 'HIGH')], allowList);
    expect(result.allowed).toMatchObject([{ check: 'A', reason: 'reviewed' }]);
    expect(result.failures).toMatchObject([{ check: 'B' }]);
    expect(result.stale).toEqual([allowList[1]]);
  });
});

describe('electronegativity script', () => {
  function scan(source: string, allowList: unknown[]) {
    const dir = mkdtempSync(path.join(tmpdir(), 'dfu-desk-electronegativity-'));
    try {
      writeFileSync(path.join(dir, 'main.js'), source);
      writeFileSync(path.join(dir, 'allow.json'), JSON.stringify(allowList));
      return spawnSync(process.execPath, ['scripts/electronegativity.mjs', '--input', dir, '--allow', path.join(dir, 'allow.json')], {
        cwd: root,
        encoding: 'utf8',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('fails on an insecure window even though the tool itself exits 0', () => {
    const result = scan(
      "const { BrowserWindow } = require('electron');\nnew BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false } });\n",
      [],
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/FINDING\s+HIGH\/\w+ CONTEXT_ISOLATION_JS_CHECK/);
    expect(result.stdout).toMatch(/FINDING\s+MEDIUM\/\w+ SANDBOX_JS_CHECK/);
  });
});
