// A self-contained HTML rendering of a flash report (no scripts, no external resources), readable
// in any browser and printable for a paper traveller on the production line.
import type { FlashReport } from './flashReport.js';
import { buildReportDocument, type ReportSection } from './reportDocument.js';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = [
  'body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#1b1f24}',
  'h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}',
  'table{border-collapse:collapse}td,th{border:1px solid #c8ccd1;padding:.25em .6em;text-align:left;vertical-align:top}',
  'th{background:#f1f3f5}td{font-family:ui-monospace,monospace}',
  '.verdict{font-weight:600;padding:.5em .8em;border-radius:4px}.passed{background:#dff5e3}.failed{background:#fde2e1}',
].join('');

function section(part: ReportSection): string {
  const heading = `<h2>${escapeHtml(part.heading)}</h2>`;
  switch (part.kind) {
    case 'fields':
      return `${heading}<table>${part.fields.map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</table>`;
    case 'table':
      return `${heading}<table><tr>${part.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${part.rows
        .map((row) => `<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
        .join('')}</table>`;
    case 'list':
      return `${heading}<ul>${part.items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
  }
}

export function renderReportHtml(report: FlashReport): string {
  const document = buildReportDocument(report);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(document.title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(document.title)}</h1>`,
    `<p class="verdict ${document.isPassed ? 'passed' : 'failed'}">${escapeHtml(document.verdict)}</p>`,
    ...document.sections.map(section),
    '</body></html>',
    '',
  ].join('\n');
}
