import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { PhotoSource } from './photo-source.js';
import { resilient, type ResilienceOptions } from './resilient-source.js';
import { SOURCE_TYPES } from './registry.js';

/** The config file's `sources` (what exists) and `sourceOrder` (who is asked, in which order). */
export interface SourceSettings {
  sources: { name: string; type: string; settings: unknown }[];
  order: { users: string[]; contacts: string[] };
}

const entrySchema = z.looseObject({ name: z.string().regex(/^[\w.-]+$/, 'letters, digits, . _ - only'), type: z.string() });
const orderSchema = z.strictObject({ users: z.array(z.string()).default([]), contacts: z.array(z.string()).default([]) });

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
    if (!type) return problems.push(`sources[${i}] (${entry.data.name}): unknown type '${entry.data.type}' (known: ${Object.keys(SOURCE_TYPES).join(', ') || 'none'})`);
    const { name: _name, type: _type, ...rest } = entry.data;
    const settings = type.schema.safeParse(rest);
    if (!settings.success) {
      for (const issue of settings.error.issues) problems.push(`sources[${i}] (${entry.data.name}): ${issue.path.join('.') || 'settings'}: ${issue.message}`);
      return;
    }
    if (result.sources.some((source) => source.name === entry.data.name)) return problems.push(`sources[${i}]: the name '${entry.data.name}' is used twice`);
    result.sources.push({ name: entry.data.name, type: entry.data.type, settings: settings.data });
  });
  const parsedOrder = orderSchema.safeParse(order ?? { users: result.sources.map((s) => s.name), contacts: result.sources.map((s) => s.name) });
  if (!parsedOrder.success) {
    problems.push(`sourceOrder: ${parsedOrder.error.issues[0]?.path.join('.')} ${parsedOrder.error.issues[0]?.message}`);
    return result;
  }
  for (const name of [...parsedOrder.data.users, ...parsedOrder.data.contacts]) {
    if (!result.sources.some((source) => source.name === name)) problems.push(`sourceOrder: no source is named '${name}'`);
  }
  result.order = parsedOrder.data;
  return result;
}

/** Builds the configured sources, each wrapped in the shared resilience, in the operator's order. */
export function buildSources(settings: SourceSettings, resilience: ResilienceOptions, log: Logger): { user: PhotoSource[]; contact: PhotoSource[] } {
  const built = new Map(
    settings.sources.map((source) => [source.name, resilient(SOURCE_TYPES[source.type]!.create(source.name, source.settings, log), resilience)]),
  );
  const pick = (names: string[]) => names.map((name) => built.get(name)!);
  return { user: pick(settings.order.users), contact: pick(settings.order.contacts) };
}
