import { parse } from 'csv-parse/sync';
import { ImportFileError } from './import-file-error.js';

export interface LocatedRecord<T> {
  where: string;
  record: T;
}

/**
 * A CSV file with a header row as records, each with its line number. Header names
 * match the known columns case-insensitively; an unknown or repeated one is refused once,
 * at the header. Every row whose field count differs from the header's is reported, not
 * only the first, so one fix-up pass is enough. A header without commas but with
 * semicolons or tabs names the separator: Excel writes `;` where `,` is the decimal mark.
 * A header without a `required` column is refused too: every row under it would be.
 */
export function readCsvRecords<T>(content: string, columns: readonly string[], required: readonly string[] = []): LocatedRecord<T>[] {
  const byLowerName = new Map(columns.map((column) => [column.toLowerCase(), column]));
  let parsed: { record: string[]; info: { empty_lines: number } }[];
  try {
    // csv-parse's types model `info` only together with `columns`; the records are arrays here.
    parsed = parse(content, {
      bom: true,
      skip_empty_lines: true,
      info: true,
      relax_column_count: true,
      delimiter: separatorOf(content),
    }) as unknown as typeof parsed;
  } catch (error) {
    const csvError = error as { lines?: number; message?: string };
    throw new ImportFileError([`line ${csvError.lines ?? '?'}: ${csvError.message ?? String(error)}`]);
  }
  const [header, ...records] = startLines(parsed);
  if (!header) throw new ImportFileError(['no header row: the file holds only blank lines']);
  const names = header.record.map((name) => byLowerName.get(name.trim().toLowerCase()) ?? name.trim());
  const unknown = names.filter((name) => !columns.includes(name));
  // Each name looked up among those before it, not compared with each: a header of 100,000 columns took 12 s.
  const seen = new Set<string>();
  const repeated: string[] = [];
  for (const name of names) {
    if (seen.has(name)) repeated.push(name);
    seen.add(name);
  }
  const missing = required.filter((name) => !names.includes(name));
  if (unknown.length > 0 || repeated.length > 0 || missing.length > 0) {
    throw new ImportFileError([
      ...missing.map((name) => `line ${header.line}: no '${name}' column, which every row needs`),
      ...unknown.map((name) => `line ${header.line}: unknown column '${name}' (the columns are ${columns.join(', ')})`),
      ...[...new Set(repeated)].map((name) => `line ${header.line}: the column '${name}' is named more than once`),
    ]);
  }
  const problems = records
    .filter(({ record }) => record.length !== names.length)
    .map(({ record, line }) => `line ${line}: ${record.length} field(s), but the header has ${names.length}`);
  if (problems.length > 0) throw new ImportFileError(problems);
  return records.map(({ record, line }) => ({
    where: `line ${line}`,
    record: Object.fromEntries(names.map((name, i) => [name, record[i]])) as T,
  }));
}

/** A line break as a CSV file may write one: CRLF (RFC 4180 §2), LF or a lone CR (classic Mac OS). */
const LINE_BREAK = /\r\n|\r|\n/g;

/**
 * Each record with the line it starts on. csv-parse's `lines` is where a record ends (a row
 * with a quoted line break was named by its last line), and counts a quoted CRLF twice; a
 * record starts after the one before it and the blank lines skipped since (`empty_lines`),
 * and ends as many lines further as its quoted values hold line breaks.
 */
function startLines(parsed: readonly { record: string[]; info: { empty_lines: number } }[]): { record: string[]; line: number }[] {
  let lastLine = 0;
  let skipped = 0;
  return parsed.map(({ record, info }) => {
    const line = lastLine + 1 + info.empty_lines - skipped;
    skipped = info.empty_lines;
    lastLine = line + record.reduce((breaks, value) => breaks + (value.match(LINE_BREAK)?.length ?? 0), 0);
    return { record, line };
  });
}

function separatorOf(content: string): string {
  const header = content.slice(0, content.search(/\r?\n|$/));
  if (header.includes(',')) return ',';
  return ['\t', ';'].find((separator) => header.includes(separator)) ?? ',';
}
