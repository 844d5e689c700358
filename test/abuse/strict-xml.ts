import { SaxesParser } from 'saxes';

/**
 * Why `xml` is not a well-formed, namespace-correct XML 1.0 document, or undefined when
 * it is. saxes refuses what lenient readers let through (U+0001, an unbound prefix, a
 * cut-off end), so an answer that passes here passes every client's parser.
 */
export function xmlProblem(xml: string): string | undefined {
  const parser = new SaxesParser({ xmlns: true });
  let problem: string | undefined;
  parser.on('error', (error) => {
    problem ??= error.message;
  });
  try {
    parser.write(xml).close();
  } catch (error) {
    problem ??= error instanceof Error ? error.message : String(error);
  }
  return problem;
}
