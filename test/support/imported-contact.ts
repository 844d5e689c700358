import { stringify } from 'csv-stringify/sync';
import type { ContactFields } from '../../src/domain/contact.js';
import type { ContactRecord } from '../../src/import/contact-record.js';
import { readContactFile } from '../../src/import/read-contact-file.js';

/** One contact record as `contacts import` reads it from a CSV file of that one row: its fields, or why the row is refused (its line left out). */
export function importedContact(record: ContactRecord): ContactFields | string {
  const { drafts, problems } = readContactFile(stringify([record], { header: true }), 'csv');
  return drafts[0]?.fields ?? problems[0]!.replace(/^line 2: /, '');
}
