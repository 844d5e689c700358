import { parse } from 'csv-parse/sync';
import { ImportFileError } from './import-file-error.js';

export interface LocatedRecord<T> {
  where: string;
  record: T;
}

/**
 * A CSV file with a header row as records, each with its line number. Header names
 * match the known columns case-insensitively; unknown ones are kept as written, so the
 * record check can name them.
 */
export function readCsvRecords<T>(content: string, columns: readonly string[]): LocatedRecord<T>[] {
  const byLowerName = new Map(columns.map((column) => [column.toLowerCase(), column]));
  try {
    const rows = parse<{ record: T; info: { lines: number } }>(content, {
      bom: true,
      columns: (header: string[]) => header.map((name) => byLowerName.get(name.trim().toLowerCase()) ?? name.trim()),
      skip_empty_lines: true,
      info: true,
    });
    return rows.map(({ record, info }) => ({ where: `line ${info.lines}`, record }));
  } catch (error) {
    const csvError = error as { lines?: number; message?: string };
    throw new ImportFileError([`line ${csvError.lines ?? '?'}: ${csvError.message ?? String(error)}`]);
  }
}
