#!/usr/bin/env node
// `npm run package:check`: runs electron-builder with build/electron-builder.yml for Linux `--dir`
// against a STAND-IN Electron runtime (the real one cannot be downloaded here), then asserts what a
// real package would contain: app.asar with the bundles and no sources, the native usb binary
// unpacked beside it, the udev rule among the resources, the security fuses flipped in the
// executable, and the .deb mapping of the udev rule (captured from the fpm arguments, without fpm).
// Exit 0 when everything holds; a list of failed checks otherwise.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

// @electron/fuses wire format: sentinel, version byte (1), length byte, one byte per fuse.
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSE_ENABLE = 0x31;
const FUSE_DISABLE = 0x30;
// FuseV1Options order (@electron/fuses config.ts).
const FUSES = [
  'RunAsNode',
  'EnableCookieEncryption',
  'EnableNodeOptionsEnvironmentVariable',
  'EnableNodeCliInspectArguments',
  'EnableEmbeddedAsarIntegrityValidation',
  'OnlyLoadAppFromAsar',
  'LoadBrowserProcessSpecificV8Snapshot',
  'GrantFileProtocolExtraPrivileges',
];
export const EXPECTED_FUSES = {
  RunAsNode: FUSE_DISABLE,
  EnableCookieEncryption: FUSE_ENABLE,
  EnableNodeOptionsEnvironmentVariable: FUSE_DISABLE,
  EnableNodeCliInspectArguments: FUSE_DISABLE,
  OnlyLoadAppFromAsar: FUSE_ENABLE,
  GrantFileProtocolExtraPrivileges: FUSE_DISABLE,
};

/**
 * A folder shaped like Electron's Linux dist: an `electron` executable (a shell script that says
 * what it is, carrying a fuse wire with Electron's defaults: every fuse enabled) and resources/.
 * @param {string} directory
 * @param {string} version
 */
export function createStandInElectron(directory, version) {
  mkdirSync(path.join(directory, 'resources'), { recursive: true });
  const script = Buffer.from('#!/bin/sh\necho "stand-in Electron runtime for the packaging check; not runnable" >&2\nexit 1\n# ');
  const wire = Buffer.from([...Buffer.from(FUSE_SENTINEL, 'ascii'), 1, FUSES.length, ...FUSES.map(() => FUSE_ENABLE), 0x0a]);
  writeFileSync(path.join(directory, 'electron'), Buffer.concat([script, wire]));
  chmodSync(path.join(directory, 'electron'), 0o755);
  writeFileSync(path.join(directory, 'chrome-sandbox'), '');
  writeFileSync(path.join(directory, 'version'), version);
  writeFileSync(path.join(directory, 'LICENSE'), 'stand-in');
}

/**
 * @param {string} executable
 * @returns {Record<string, number> | undefined}
 */
export function readFuses(executable) {
  const bytes = readFileSync(executable);
  const at = bytes.indexOf(FUSE_SENTINEL);
  if (at < 0) return undefined;
  const wire = at + FUSE_SENTINEL.length;
  const length = bytes[wire + 1];
  return Object.fromEntries(FUSES.slice(0, length).map((name, index) => [name, bytes[wire + 2 + index]]));
}

/**
 * The checks, as a list of failures (empty when the layout is right).
 * @param {{ appOutDir: string; asarFiles: Set<string>; executableName: string; fpmArgs?: string[]; ruleSource: string }} input
 * @returns {string[]}
 */
export function checkLayout({ appOutDir, asarFiles, executableName, fpmArgs, ruleSource }) {
  const failures = [];
  const expect = (condition, message) => {
    if (!condition) failures.push(message);
  };
  const resources = path.join(appOutDir, 'resources');
  const has = (file) => asarFiles.has(file);
  expect(existsSync(path.join(appOutDir, executableName)), `executable ${executableName} missing`);
  expect(existsSync(path.join(resources, 'app.asar')), 'resources/app.asar missing');
  for (const file of ['/package.json', '/dist/electron/main.cjs', '/dist/electron/preload.cjs', '/node_modules/usb/package.json']) {
    expect(has(file), `app.asar lacks ${file}`);
  }
  expect(has('/dist/renderer/index.html'), 'app.asar lacks the renderer (/dist/renderer/index.html)');
  const strays = [...asarFiles].filter(
    (file) => /\.(ts|tsx|map)$/.test(file) || /^\/(core|electron|renderer|e2e|scripts)\//.test(file) || /^\/node_modules\/(react|react-dom|zustand)\//.test(file),
  );
  expect(strays.length === 0, `app.asar contains sources, maps or bundled-in modules: ${strays.slice(0, 5).join(', ')}`);
  const unpacked = path.join(resources, 'app.asar.unpacked/node_modules/usb/prebuilds');
  const nativeBinaries = existsSync(unpacked)
    ? readdirSync(unpacked, { recursive: true }).filter((file) => String(file).endsWith('.node'))
    : [];
  expect(nativeBinaries.some((file) => String(file).startsWith(`linux-${process.arch}`)), `no unpacked usb binary for linux-${process.arch} in ${unpacked}`);
  const rule = path.join(resources, 'udev/50-dfu-desk.rules');
  expect(existsSync(rule) && readFileSync(rule, 'utf8') === ruleSource, 'resources/udev/50-dfu-desk.rules missing or different from build/linux');
  expect(/ATTR\{idVendor\}=="0483", ATTR\{idProduct\}=="df11", TAG\+="uaccess"/.test(ruleSource), 'the udev rule does not grant 0483:df11 to the seat user');
  const fuses = readFuses(path.join(appOutDir, executableName));
  expect(fuses !== undefined, 'no fuse wire in the packaged executable');
  for (const [name, state] of Object.entries(EXPECTED_FUSES)) {
    expect(fuses?.[name] === state, `fuse ${name} is ${fuses?.[name]}, expected ${state === FUSE_ENABLE ? 'enabled' : 'disabled'}`);
  }
  if (fpmArgs) {
    expect(
      fpmArgs.some((arg) => /50-dfu-desk\.rules=\/usr\/lib\/udev\/rules\.d\/50-dfu-desk\.rules$/.test(arg)),
      'the .deb does not install the udev rule to /usr/lib/udev/rules.d',
    );
  }
  return failures;
}

async function packageWithStandIn(work) {
  const { build, Platform, Arch } = require('electron-builder');
  const electronVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version;
  const standIn = path.join(work, 'electron-dist');
  createStandInElectron(standIn, electronVersion);
  const output = path.join(work, 'out');
  const arch = process.arch === 'arm64' ? Arch.arm64 : Arch.x64;
  // A fresh object per run: electron-builder consumes `extends` from the object it is given.
  // .deb control files need a Homepage; electron-builder takes it from package.json.
  const hasHomepage = Boolean(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).homepage);
  if (!hasHomepage) console.log('package check: note: package.json has no "homepage"; a real .deb build needs one (a placeholder is used here)');
  const config = (outputDirectory) => ({
    extends: path.join(root, 'build/electron-builder.yml'),
    electronDist: standIn,
    electronVersion,
    directories: { output: outputDirectory, buildResources: 'build' },
    publish: null,
    ...(hasHomepage ? {} : { extraMetadata: { homepage: 'https://dfu-desk.invalid/' } }),
  });
  await build({ projectDir: root, config: config(output), targets: Platform.LINUX.createTarget(['dir'], arch) });
  // The .deb step needs fpm (a download); its arguments are computed before fpm runs, so they are
  // captured and the package step is skipped.
  let fpmArgs;
  await build({
    projectDir: root,
    config: config(path.join(work, 'out-deb')),
    targets: Platform.LINUX.createTarget(['deb'], arch),
    effectiveOptionComputed: async (options) => {
      if (Array.isArray(options) && Array.isArray(options[0])) {
        fpmArgs = options[0];
        return true;
      }
      return false;
    },
  });
  const appOutDir = path.join(output, readdirSync(output).find((name) => name.startsWith('linux') && name.endsWith('unpacked')) ?? 'linux-unpacked');
  return { appOutDir, fpmArgs };
}

async function main() {
  const started = Date.now();
  if (!existsSync(path.join(root, 'dist/electron/main.cjs')) || !existsSync(path.join(root, 'dist/electron/preload.cjs'))) {
    const built = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
  const work = mkdtempSync(path.join(tmpdir(), 'dfu-desk-package-'));
  try {
    const { appOutDir, fpmArgs } = await packageWithStandIn(work);
    const asar = require('@electron/asar');
    const archive = path.join(appOutDir, 'resources/app.asar');
    const asarFiles = new Set(existsSync(archive) ? asar.listPackage(archive, { isPack: false }).map((file) => file.split(path.sep).join('/')) : []);
    const failures = checkLayout({
      appOutDir,
      asarFiles,
      executableName: 'dfu-desk',
      fpmArgs,
      ruleSource: readFileSync(path.join(root, 'build/linux/50-dfu-desk.rules'), 'utf8'),
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (failures.length > 0) {
      for (const failure of failures) console.log(`package check: FAILED ${failure}`);
      process.exit(1);
    }
    console.log(`package check: ok (${asarFiles.size} entries in app.asar, usb binary unpacked, udev rule shipped, fuses set) in ${seconds} s`);
  } finally {
    if (!process.env.KEEP_PACKAGE_CHECK) rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`package check: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
