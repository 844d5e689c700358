import { oneLine } from '../domain/plain-text.js';

/** The problems an error message lists: a file broken on every one of 100,000 rows is fixed by reading the first few. */
const PROBLEMS_SHOWN = 100;

/**
 * A file to import had problems; each names its place (line, item or card). Nothing was imported.
 * Each is one line of the message whatever of the file it quotes: a line break in a header cell
 * or JSON key would have passed for a problem of its own.
 */
export class ImportFileError extends Error {
  constructor(readonly problems: string[]) {
    const shown = problems.slice(0, PROBLEMS_SHOWN).map((problem) => `  ${oneLine(problem)}`);
    if (problems.length > PROBLEMS_SHOWN) shown.push(`  … and ${problems.length - PROBLEMS_SHOWN} more`);
    super(`${problems.length} problem(s) in the file, nothing imported:\n${shown.join('\n')}`);
    this.name = 'ImportFileError';
  }
}

/**
 * A file that names nobody. An import only adds and updates, so one of nobody would change
 * nothing and say "imported 0": what a failed upstream export looks like, taken for success.
 */
export function nobodyIn(what: string, detail = ''): string {
  return `no ${what} in the file${detail}: nothing to import (did the export that wrote it fail?)`;
}
