import { z } from 'zod';
import { parseSizeCode, sizeCodeOf, type PhotoSize } from '../domain/size-code.js';
import type { PhotoSource } from './photo-source.js';

/**
 * The name that stands for the bridge's own photos (uploaded or imported) in an order.
 * The usual orders ask them first, always; a size's own order may place them anywhere.
 */
export const OWN_PHOTOS = 'store';

/** One step of an order: a source, or the bridge's own photos. */
export type OrderEntry = PhotoSource | typeof OWN_PHOTOS;

/** The orders the photo service follows, built: sources, and the bridge's own photos where a size places them. */
export interface SourceOrders {
  user: readonly PhotoSource[];
  contact: readonly PhotoSource[];
  bySize?: readonly { size: PhotoSize; user?: readonly OrderEntry[]; contact?: readonly OrderEntry[] }[];
}

/** `sourceOrder.users` / `.contacts`: the sources asked, in order, after the bridge's own photos. */
export interface KindOrders<Entry> {
  users: Entry[];
  contacts: Entry[];
}

/**
 * `sourceOrder.bySize`: a size code answered in an order of its own, for users, contacts
 * or both (the other kind keeps the usual order). Exchange's rule for HR48x48 ("always
 * returns the Active Directory thumbnail image if it is available") is
 * `"HR48x48": { "users": ["ad", "store", …] }`.
 */
export interface SizeOrder<Entry> extends Partial<KindOrders<Entry>> {
  size: PhotoSize;
}

const names = z.array(z.string());
const sizeOrderSchema = z.strictObject({ users: names.optional(), contacts: names.optional() });
const orderSchema = z.strictObject({
  users: names.default([]),
  contacts: names.default([]),
  bySize: z.record(z.string(), sizeOrderSchema).default({}),
});

/**
 * Checks `sourceOrder` against the configured source names, adding one line per problem.
 * Without a `sourceOrder`, every source is asked, in the order listed, for users and contacts.
 */
export function parseSourceOrder(raw: unknown, sourceNames: readonly string[], problems: string[]): { order: KindOrders<string>; bySize: SizeOrder<string>[] } {
  if (sourceNames.includes(OWN_PHOTOS))
    problems.push(`sources: the name '${OWN_PHOTOS}' stands for the bridge's own photos in sourceOrder; name that source otherwise`);
  const parsed = orderSchema.safeParse(raw ?? { users: [...sourceNames], contacts: [...sourceNames] });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    problems.push(`sourceOrder: ${issue?.path.join('.')} ${issue?.message}`);
    return { order: { users: [], contacts: [] }, bySize: [] };
  }
  const { bySize: rawBySize, ...order } = parsed.data;
  const checkList = (where: string, list: readonly string[], ownPhotosAnywhere: boolean) => {
    list.forEach((name, i) => {
      if (list.indexOf(name) !== i) problems.push(`${where}: '${name}' is listed twice`);
      else if (name === OWN_PHOTOS) {
        if (!ownPhotosAnywhere && i > 0)
          problems.push(`${where}: '${OWN_PHOTOS}' (the bridge's own photos) can only come first here; place it later for one size under sourceOrder.bySize`);
      } else if (!sourceNames.includes(name)) problems.push(`${where}: no source is named '${name}'`);
    });
  };
  checkList('sourceOrder', order.users, false);
  checkList('sourceOrder', order.contacts, false);
  const bySize: SizeOrder<string>[] = [];
  for (const [code, kinds] of Object.entries(rawBySize)) {
    let size: PhotoSize;
    try {
      size = parseSizeCode(code);
    } catch (error) {
      problems.push(`sourceOrder.bySize: ${(error as Error).message}`);
      continue;
    }
    if (bySize.some((other) => other.size === size)) {
      problems.push(`sourceOrder.bySize: ${sizeCodeOf(size)} is given twice`);
      continue;
    }
    if (kinds.users) checkList(`sourceOrder.bySize.${code}.users`, kinds.users, true);
    if (kinds.contacts) checkList(`sourceOrder.bySize.${code}.contacts`, kinds.contacts, true);
    bySize.push({ size, ...kinds });
  }
  // The usual orders ask the bridge's own photos first whether or not they are written.
  const withoutOwn = (list: string[]) => list.filter((name) => name !== OWN_PHOTOS);
  return { order: { users: withoutOwn(order.users), contacts: withoutOwn(order.contacts) }, bySize };
}
