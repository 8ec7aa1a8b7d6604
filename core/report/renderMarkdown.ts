// Markdown rendering of a flash report (GitHub-flavoured tables), for tickets and CI artifacts.
import type { FlashReport } from './flashReport.js';
import { buildReportDocument, type ReportSection } from './reportDocument.js';

/** Escapes what would break a table cell or start markup; report text is data, not Markdown. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/([*_`<>[\]])/g, '\\$1').replace(/\r?\n/g, ' ');
}

function section(part: ReportSection): string[] {
  const lines = [`## ${cell(part.heading)}`, ''];
  switch (part.kind) {
    case 'fields':
      lines.push('| | |', '|---|---|', ...part.fields.map(([key, value]) => `| ${cell(key)} | ${cell(value)} |`));
      break;
    case 'table':
      lines.push(
        `| ${part.headers.map(cell).join(' | ')} |`,
        `|${part.headers.map(() => '---').join('|')}|`,
        ...part.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
      );
      break;
    case 'list':
      lines.push(...part.items.map((item) => `- ${cell(item)}`));
      break;
  }
  lines.push('');
  return lines;
}

export function renderReportMarkdown(report: FlashReport): string {
  const document = buildReportDocument(report);
  return [`# ${cell(document.title)}`, '', `**${cell(document.verdict)}**`, '', ...document.sections.flatMap(section)].join('\n');
}
