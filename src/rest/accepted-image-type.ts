import { IMAGE_TYPES, type ImageType } from '../domain/image-conversion.js';

/**
 * The longest Accept header read. Browsers send under 100 characters for an image; parsing
 * a crafted 15 KB one (a quote and commas) cost 0.7 ms of the event loop per request, ten
 * photo answers' worth, with no memo to catch it.
 */
const ACCEPT_MAX_CHARACTERS = 1024;

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
  /** Its place in the header: among types wanted as much, the client's order decides. */
  order: number;
}

/** How much a client wants one image type: RFC 9110 §12.5.1, the q of the most specific range that matches it. */
interface Preference {
  q: number;
  /** 2 named (`image/png`), 1 by `image/*`, 0 by `*\/*`. */
  specificity: number;
  order: number;
}

/**
 * The image type an `Accept` header asks for, JPEG when it asks for none the bridge
 * offers (a photo beats a 406). The most wanted type wins, a named one over one a
 * wildcard covers, and JPEG — what Exchange sends whatever the Accept says (MS-OXWSPHOTO
 * 3.1.5.1.1) — over any type wanted exactly as much. So browsers, which name AVIF or WebP
 * and cover JPEG by `image/*`, get those, and a client naming GIF and JPEG alike (Java's
 * `text/html, image/gif, image/jpeg, *; q=.2`, Internet Explorer's) gets the JPEG
 * Exchange would send, where a header-order pick gave it a 256-colour GIF.
 */
export function acceptedImageType(accept: string | undefined): ImageType {
  if (accept === undefined || accept.length > ACCEPT_MAX_CHARACTERS) return 'jpeg';
  const ranges = mediaRanges(accept);
  let best: { type: ImageType; preference: Preference } | undefined;
  for (const type of IMAGE_TYPES) {
    const preference = preferenceFor(ranges, type);
    if (preference !== undefined && preference.q > 0 && (best === undefined || wantedMore(preference, best))) best = { type, preference };
  }
  return best?.type ?? 'jpeg';
}

/** Whether a type wanted as `a` beats the best so far, which came before it in IMAGE_TYPES (JPEG first, so JPEG keeps its ties). */
function wantedMore(a: Preference, best: { type: ImageType; preference: Preference }): boolean {
  const b = best.preference;
  if (a.q !== b.q) return a.q > b.q;
  if (a.specificity !== b.specificity) return a.specificity > b.specificity;
  return best.type !== 'jpeg' && a.order < b.order;
}

function preferenceFor(ranges: MediaRange[], subtype: ImageType): Preference | undefined {
  let found: Preference | undefined;
  for (const range of ranges) {
    const specificity =
      range.type === 'image' && range.subtype === subtype
        ? 2
        : range.type === 'image' && range.subtype === '*'
          ? 1
          : range.type === '*' && range.subtype === '*'
            ? 0
            : -1;
    if (specificity >= 0 && (found === undefined || specificity > found.specificity)) found = { q: range.q, specificity, order: range.order };
  }
  return found;
}

/** RFC 9110 §12.4.2's qvalue: 0 to 1 with at most three decimals. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * `type/subtype;q=…` ranges, lower case. A range without a subtype (Java's bare `*`) or with
 * a q that is no qvalue (`q=0x1`, `q=`) is skipped; blanks around the `=` are forgiven.
 */
function mediaRanges(accept: string): MediaRange[] {
  return accept.split(',').flatMap((part, order) => {
    const [range = '', ...parameters] = part.split(';');
    const [type, subtype, extra] = range.trim().toLowerCase().split('/');
    if (!type || !subtype || extra !== undefined) return [];
    const weight = parameters.map((parameter) => parameter.split('=')).find(([name]) => name!.trim().toLowerCase() === 'q');
    if (weight === undefined) return [{ type, subtype, q: 1, order }];
    const value = weight.length === 2 ? weight[1]!.trim() : '';
    return QVALUE.test(value) ? [{ type, subtype, q: Number(value), order }] : [];
  });
}
