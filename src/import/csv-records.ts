import { parse } from 'csv-parse/sync';
import { ImportFileError } from './import-file-error.js';

export interface LocatedRecord<T> {
  where: string;
  record: T;
}

/**
 * A CSV file with a header row as records, each with its line number. Header names
 * match the known columns case-insensitively; unknown ones are kept as written, so the
 * record check can name them. Every row whose field count differs from the header's is
 * reported, not only the first, so one fix-up pass is enough.
 */
export function readCsvRecords<T>(content: string, columns: readonly string[]): LocatedRecord<T>[] {
  const byLowerName = new Map(columns.map((column) => [column.toLowerCase(), column]));
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    // csv-parse's types model `info` only together with `columns`; the records are arrays here.
    rows = parse(content, { bom: true, skip_empty_lines: true, info: true, relax_column_count: true }) as unknown as typeof rows;
  } catch (error) {
    const csvError = error as { lines?: number; message?: string };
    throw new ImportFileError([`line ${csvError.lines ?? '?'}: ${csvError.message ?? String(error)}`]);
  }
  const [header, ...records] = rows;
  if (!header) return [];
  const names = header.record.map((name) => byLowerName.get(name.trim().toLowerCase()) ?? name.trim());
  const problems = records
    .filter(({ record }) => record.length !== names.length)
    .map(({ record, info }) => `line ${info.lines}: ${record.length} field(s), but the header has ${names.length}`);
  if (problems.length > 0) throw new ImportFileError(problems);
  return records.map(({ record, info }) => ({
    where: `line ${info.lines}`,
    record: Object.fromEntries(names.map((name, i) => [name, record[i]])) as T,
  }));
}
