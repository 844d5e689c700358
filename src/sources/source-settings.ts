import { z } from 'zod';
import { clip, LOGGED_REASON_MAX } from '../domain/plain-text.js';
import type { Logger } from '../logger.js';
import { resilient, type ResilienceOptions } from './resilient-source.js';
import { SOURCE_TYPES } from './registry.js';
import { OWN_PHOTOS, parseSourceOrder, type KindOrders, type OrderEntry, type SizeOrder, type SourceOrders } from './source-order.js';

/** The config file's `sources` (what exists) and `sourceOrder` (who is asked, in which order). */
export interface SourceSettings {
  sources: { name: string; type: string; settings: unknown }[];
  order: KindOrders<string>;
  /** `sourceOrder.bySize`: sizes answered in an order of their own; absent, none is. */
  orderBySize?: SizeOrder<string>[];
}

const entrySchema = z.looseObject({ name: z.string().regex(/^[\w.-]+$/, 'letters, digits, . _ - only'), type: z.string() });

/** Checks the source settings, adding one line per problem to `problems`. */
export function parseSourceSettings(sources: unknown, order: unknown, problems: string[]): SourceSettings {
  const result: SourceSettings = { sources: [], order: { users: [], contacts: [] } };
  const list = z.array(z.unknown()).safeParse(sources ?? []);
  if (!list.success) {
    problems.push('sources: must be a list');
    return result;
  }
  list.data.forEach((raw, i) => {
    const entry = entrySchema.safeParse(raw);
    if (!entry.success) return problems.push(`sources[${i}]: ${entry.error.issues[0]?.path.join('.')} ${entry.error.issues[0]?.message}`);
    const type = SOURCE_TYPES[entry.data.type];
    if (!type)
      return problems.push(`sources[${i}] (${entry.data.name}): unknown type '${entry.data.type}' (known: ${Object.keys(SOURCE_TYPES).join(', ') || 'none'})`);
    const { name: _name, type: _type, ...rest } = entry.data;
    const settings = type.schema.safeParse(rest);
    if (!settings.success) {
      for (const issue of settings.error.issues) problems.push(`sources[${i}] (${entry.data.name}): ${issue.path.join('.') || 'settings'}: ${issue.message}`);
      return;
    }
    if (result.sources.some((source) => source.name === entry.data.name)) return problems.push(`sources[${i}]: the name '${entry.data.name}' is used twice`);
    result.sources.push({ name: entry.data.name, type: entry.data.type, settings: settings.data });
  });
  const parsedOrder = parseSourceOrder(
    order,
    result.sources.map((source) => source.name),
    problems,
  );
  result.order = parsedOrder.order;
  if (parsedOrder.bySize.length > 0) result.orderBySize = parsedOrder.bySize;
  return result;
}

/** Builds the configured sources, each wrapped in the shared resilience, in the operator's orders. */
export function buildSources(settings: SourceSettings, resilience: ResilienceOptions, log: Logger): SourceOrders {
  for (const source of settings.sources) {
    for (const origin of plainHttpOrigins(source.settings)) {
      log.warn({ source: source.name, origin }, "the source's credentials cross the network in clear to this origin; use https://");
    }
  }
  const built = new Map(
    settings.sources.map((source) => {
      const onOpen = (reason: string) =>
        log.warn(
          { source: source.name, reason: clip(reason, LOGGED_REASON_MAX) },
          'photo source circuit opened: its calls fail at once until it is tried again',
        );
      return [source.name, resilient(SOURCE_TYPES[source.type]!.create(source.name, source.settings, log), { ...resilience, onOpen })];
    }),
  );
  const pick = (names: string[]) => names.map((name) => built.get(name)!);
  const entries = (names: string[] | undefined) => names?.map((name): OrderEntry => (name === OWN_PHOTOS ? OWN_PHOTOS : built.get(name)!));
  return {
    user: pick(settings.order.users),
    contact: pick(settings.order.contacts),
    bySize: (settings.orderBySize ?? []).map(({ size, users, contacts }) => ({ size, user: entries(users), contact: entries(contacts) })),
  };
}

/**
 * The origins of a source's plain `http://` URLs, however deep in its settings. Every source
 * but LDAP (which says so itself) sends credentials to the hosts its URLs name — a Graph
 * client secret, SuperOffice's password and tokens, a gateway's token in its paths — and
 * over http they went readable by anyone on the way, unsaid. The origin alone: a gateway's
 * token is in its URL's path.
 */
function plainHttpOrigins(settings: unknown, depth = 0): string[] {
  if (typeof settings === 'string') return /^http:\/\//i.test(settings) && URL.canParse(settings) ? [new URL(settings).origin] : [];
  if (depth > 4 || typeof settings !== 'object' || settings === null) return [];
  return [...new Set(Object.values(settings).flatMap((value) => plainHttpOrigins(value, depth + 1)))];
}
