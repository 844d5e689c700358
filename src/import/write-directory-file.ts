import { stringify } from 'csv-stringify/sync';
import type { DirectoryUser } from '../domain/directory.js';
import { DIRECTORY_COLUMNS, toRecord } from './directory-record.js';
import type { DirectoryFormat } from './read-directory-file.js';

/** Writes the directory in the same format the importer reads, so an export re-imports as is. */
export function writeDirectoryFile(users: readonly DirectoryUser[], format: DirectoryFormat): string {
  if (format === 'json') return `${JSON.stringify(users, null, 2)}\n`;
  return stringify(users.map(toRecord), { header: true, columns: [...DIRECTORY_COLUMNS] });
}
