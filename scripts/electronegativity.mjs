#!/usr/bin/env node
// `npm run electronegativity`: Doyensec's Electron security scanner over the main/preload sources
// and the built renderer page. The tool exits 0 whatever it finds, so this script runs it through
// its programmatic API, keeps every HIGH or MEDIUM finding, and fails unless each one is explained in
// build/electronegativity-allow.json (check id + file + reason). Offline: the one check that
// downloads Electron's release list is skipped (Electron is kept current through npm instead).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const FAILING_SEVERITIES = new Set(['HIGH', 'MEDIUM']);
const OFFLINE_EXCLUDED_CHECKS = ['AvailableSecurityFixesGlobalCheck'];

/** Turns scanner issues into plain findings with paths relative to the repository. */
export function toFindings(issues) {
  return issues.map((issue) => ({
    check: issue.id,
    severity: issue.severity.name,
    confidence: issue.confidence.name,
    file: path.relative(root, path.resolve(issue.file)).split(path.sep).join('/'),
    line: issue.location?.line ?? 0,
    sample: String(issue.sample ?? '').trim().slice(0, 160),
    description: issue.description,
  }));
}

/**
 * Splits findings into failures (HIGH/MEDIUM with no allow-list entry), allowed ones, and
 * allow-list entries that matched nothing (stale: the reviewed code changed, review again).
 */
export function judge(findings, allowList) {
  const used = new Set();
  const failures = [];
  const allowed = [];
  for (const finding of findings) {
    if (!FAILING_SEVERITIES.has(finding.severity)) continue;
    const index = allowList.findIndex(
      (entry) => entry.check === finding.check && entry.file === finding.file && (!entry.sample || finding.sample.includes(entry.sample)),
    );
    if (index < 0) failures.push(finding);
    else {
      used.add(index);
      allowed.push({ ...finding, reason: allowList[index].reason });
    }
  }
  const stale = allowList.filter((_entry, index) => !used.has(index));
  return { failures, allowed, stale };
}

export function readAllowList(file) {
  const entries = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(entries)) throw new Error(`${file}: expected a list`);
  for (const [index, entry] of entries.entries()) {
    for (const key of ['check', 'file', 'reason']) {
      if (typeof entry[key] !== 'string' || entry[key].trim() === '') throw new Error(`${file}: entry ${index} needs a "${key}"`);
    }
  }
  return entries;
}

/**
 * The scanner fetches translations with three 1 s attempts before every run, which costs 3 s per
 * input offline and adds nothing (English is bundled). Its HTTP client is replaced, for the scanner
 * only, by one that fails at once; the scanner then uses its bundled strings.
 */
function loadOfflineScanner() {
  const scannerRequire = createRequire(require.resolve('@doyensec/electronegativity'));
  const gotPath = scannerRequire.resolve('got');
  const offline = () => Promise.reject(new Error('offline: electronegativity network lookups are disabled'));
  offline.head = offline;
  offline.get = offline;
  require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: Object.assign(offline, { default: offline }) };
  return require('@doyensec/electronegativity');
}

/**
 * The renderer build is a web page: only the content-security checks apply to it. Scanned alone,
 * the main-process global checks would report "no navigation limits" for a folder that cannot
 * have any; those are checked where they live, in electron/.
 */
const RENDERER_CHECKS = ['CSPGlobalCheck'];

async function scan(input, electronVersion, checks) {
  const run = loadOfflineScanner();
  // The tool prints progress and a translation warning through console.log; keep our output readable.
  const log = console.log;
  console.log = () => {};
  try {
    const result = await run({
      input,
      electronVersionOverride: electronVersion,
      // The tool refuses an exclusion of a check that a custom list already left out.
      ...(checks ? { customScan: checks } : { excludeFromScan: OFFLINE_EXCLUDED_CHECKS }),
      isRelative: false,
      severitySet: 'informational',
      confidenceSet: 'tentative',
    });
    return result;
  } finally {
    console.log = log;
  }
}

async function main() {
  // --input DIR (repeatable) and --allow FILE exist for the script's own test.
  const { values } = parseArgs({ options: { input: { type: 'string', multiple: true }, allow: { type: 'string' } } });
  const electronVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version;
  const inputs = (values.input ?? ['electron', 'dist/renderer']).filter((input) => existsSync(path.resolve(root, input)));
  if (inputs.length === 0) throw new Error('nothing to scan');
  const allowList = readAllowList(path.resolve(root, values.allow ?? 'build/electronegativity-allow.json'));
  const findings = [];
  for (const input of inputs) {
    const result = await scan(path.resolve(root, input), electronVersion, input.startsWith('dist/renderer') ? RENDERER_CHECKS : undefined);
    for (const error of result.errors) console.log(`electronegativity: could not parse ${error.file}: ${error.message}`);
    if (result.errors.some((error) => !error.tolerable)) {
      console.log('electronegativity: FAILED (a file could not be scanned)');
      process.exit(1);
    }
    findings.push(...toFindings(result.issues).filter((finding) => !finding.file.endsWith('.test.ts')));
  }
  const { failures, allowed, stale } = judge(findings, allowList);
  const lower = findings.filter((finding) => !FAILING_SEVERITIES.has(finding.severity));
  for (const finding of allowed) console.log(`allowed  ${finding.severity} ${finding.check} ${finding.file}:${finding.line} (${finding.reason})`);
  for (const finding of lower) console.log(`note     ${finding.severity} ${finding.check} ${finding.file}:${finding.line}`);
  for (const entry of stale) console.log(`stale allow-list entry: ${entry.check} ${entry.file} (no longer found; remove or review it)`);
  for (const finding of failures) {
    console.log(`FINDING  ${finding.severity}/${finding.confidence} ${finding.check} ${finding.file}:${finding.line}`);
    console.log(`         ${finding.sample}`);
    console.log(`         ${finding.description}`);
  }
  console.log(
    `electronegativity: scanned ${inputs.join(', ')}; ${findings.length} findings, ${allowed.length} allowed, ${failures.length} failing (HIGH/MEDIUM not in build/electronegativity-allow.json)`,
  );
  process.exit(failures.length > 0 ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`electronegativity: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
