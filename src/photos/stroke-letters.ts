/**
 * Capital letters as stroke paths on a 10×14 grid (baseline at y = 14), so a
 * placeholder's initials render the same on every machine — rendering SVG text
 * needs system fonts, which a minimal server or container often lacks.
 */
const LETTER_PATHS: Readonly<Record<string, string>> = {
  A: 'M0 14 L5 0 L10 14 M1.9 8.6 H8.1',
  B: 'M0 7 H5.5 A3.5 3.5 0 0 0 5.5 0 H0 V14 H6 A3.5 3.5 0 0 0 6 7',
  C: 'M10 2.6 A5 7 0 1 0 10 11.4',
  D: 'M0 0 V14 H3 A7 7 0 0 0 3 0 Z',
  E: 'M10 0 H0 V14 H10 M0 7 H7',
  F: 'M10 0 H0 V14 M0 7 H7',
  G: 'M10 2.6 A5 7 0 1 0 10 9 V7.5 H6',
  H: 'M0 0 V14 M10 0 V14 M0 7 H10',
  I: 'M5 0 V14 M2 0 H8 M2 14 H8',
  J: 'M8 0 V10 A4 4 0 0 1 0.2 11',
  K: 'M0 0 V14 M10 0 L0 9 M3.4 5.9 L10 14',
  L: 'M0 0 V14 H9',
  M: 'M0 14 V0 L5 9 L10 0 V14',
  N: 'M0 14 V0 L10 14 V0',
  O: 'M5 0 A5 7 0 1 0 5 14 A5 7 0 1 0 5 0 Z',
  P: 'M0 14 V0 H6 A3.75 3.75 0 0 1 6 7.5 H0',
  Q: 'M5 0 A5 7 0 1 0 5 14 A5 7 0 1 0 5 0 Z M6 10 L10 14',
  R: 'M0 14 V0 H6 A3.75 3.75 0 0 1 6 7.5 H0 M5.5 7.5 L10 14',
  S: 'M9.6 2 A5 3.5 0 1 0 5 7 A5 3.5 0 1 1 0.4 12',
  T: 'M0 0 H10 M5 0 V14',
  U: 'M0 0 V9 A5 5 0 0 0 10 9 V0',
  V: 'M0 0 L5 14 L10 0',
  W: 'M0 0 L2.5 14 L5 4 L7.5 14 L10 0',
  X: 'M0 0 L10 14 M10 0 L0 14',
  Y: 'M0 0 L5 7 L10 0 M5 7 V14',
  Z: 'M0 0 H10 L0 14 H10',
};

export const LETTER_WIDTH = 10;
export const LETTER_HEIGHT = 14;

/** A letter's strokes, or undefined for anything outside A–Z. */
export function letterPath(letter: string): string | undefined {
  return LETTER_PATHS[letter];
}
