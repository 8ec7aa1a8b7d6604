// --report FILE: the flash report as JSON plus a readable rendering, always both. The extension of
// FILE picks the readable form (.html/.htm: HTML, anything else: Markdown); the other file sits
// next to it with the same base name. With several devices the USB path goes into the names.
// Both are checked before the device is touched and written all or nothing (node/outputFile.ts).
import { extname, resolve } from 'node:path';
import { buildFlashReport, renderReportJson, type FlashReportInput } from '../core/report/flashReport.js';
import { renderReportHtml } from '../core/report/renderHtml.js';
import { renderReportMarkdown } from '../core/report/renderMarkdown.js';
import { checkOutputFile, writeOutputFile } from '../node/outputFile.js';
import { safeFileNamePart } from '../core/fileNames.js';

export function reportPaths(path: string, devicePath: string | undefined): { json: string; readable: string; kind: 'markdown' | 'html' } {
  const original = extname(path);
  const extension = original.toLowerCase();
  let base = original ? path.slice(0, -original.length) : path;
  if (devicePath !== undefined) base = `${base}-${safeFileNamePart(devicePath, 'device')}`;
  const kind = extension === '.html' || extension === '.htm' ? 'html' : 'markdown';
  return { json: `${base}.json`, readable: `${base}${extension === '.json' || extension === '' ? '.md' : original}`, kind };
}

/** Writes both files and returns their absolute paths (JSON first). */
export function writeFlashReport(options: { path: string; devicePath: string | undefined; cwd: string; input: FlashReportInput }): string[] {
  const report = buildFlashReport(options.input);
  const paths = reportPaths(resolve(options.cwd, options.path), options.devicePath);
  writeOutputFile(paths.json, renderReportJson(report));
  writeOutputFile(paths.readable, paths.kind === 'html' ? renderReportHtml(report) : renderReportMarkdown(report));
  return [paths.json, paths.readable];
}

/** Throws DfuError 'output-file' when either report file could not be written (before any device is opened). */
export function checkReportPaths(path: string, cwd: string): void {
  const paths = reportPaths(resolve(cwd, path), undefined);
  checkOutputFile(paths.json);
  checkOutputFile(paths.readable);
}
