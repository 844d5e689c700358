/**
 * Reading EWS answers by their raw text: floods answer hundreds of messages and
 * megabytes, and what matters is counted (codes, ids, photos), not navigated.
 */

/** Every m:ResponseCode of the answer, in order: one per response message. */
export function responseCodesOf(xml: string): string[] {
  return [...xml.matchAll(/<m:ResponseCode>([^<]*)<\/m:ResponseCode>/g)].map((match) => match[1]!);
}

/** A SOAP fault's faultcode (`s:Client`, `a:ErrorServerBusy`), or undefined when the answer is no fault. */
export function faultCodeOf(xml: string): string | undefined {
  return /<faultcode[^>]*>([^<]*)<\/faultcode>/.exec(xml)?.[1];
}

/** The `Id` of every `t:{element}` (ItemId, AttachmentId), in order, without repeats. */
export function idsIn(xml: string, element: 'ItemId' | 'AttachmentId'): string[] {
  return [...new Set([...xml.matchAll(new RegExp(`<t:${element} Id="([^"]+)"`, 'g'))].map((match) => match[1]!))];
}

/** How many photos (t:Content, t:Photo, m:PictureData) the answer carries. */
export function photosIn(xml: string): number {
  return xml.match(/<(t:Content|t:Photo|m:PictureData)>/g)?.length ?? 0;
}

/** `a×2 b×1`: a tally, in the order first seen. */
export function tally(values: Iterable<string | number>): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(String(value), (counts.get(String(value)) ?? 0) + 1);
  return [...counts].map(([value, count]) => (count === 1 ? value : `${value}×${count}`)).join(' ');
}
