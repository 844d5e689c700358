/** A file to import had problems; each names its place (line, item or card). Nothing was imported. */
export class ImportFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`${problems.length} problem(s) in the file, nothing imported:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ImportFileError';
  }
}
