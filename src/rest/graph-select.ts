import { BridgeError } from '../domain/errors.js';
import { repeatedOption, requireJsonFormat, unsupportedOption } from './graph-list-options.js';
import type { GraphType } from './graph-types.js';

/**
 * Graph's `$select` (https://learn.microsoft.com/en-us/graph/query-parameters#select-parameter):
 * the properties a client wants, "a subset or superset" of a resource's default ones — a
 * people picker asks a user's `department` and `companyName`, which are not among them, and a
 * large list only the few it shows. Undefined: the default properties.
 */
export type PropertySelection = readonly string[] | undefined;

/** A property name as OData writes one (an identifier), or `*` for all of them. */
const PROPERTY = /^(?:\*|[A-Za-z_][A-Za-z0-9_]{0,63})$/;
/** The options OData applies to collections alone. */
const COLLECTION_OPTIONS = /^\$(?:filter|orderby|count|skip|top)$/i;

/** More names than any resource here has properties. */
export const MAX_SELECTED = 64;

/**
 * Reads a `$select` value: names separated by commas, each said once, each a property or
 * relationship of `type` (a relationship is not expanded, so not written); anything else is
 * a 400 naming it.
 */
export function readSelect(value: string | undefined, type: GraphType): PropertySelection {
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim());
  if (names.length > MAX_SELECTED) throw new BridgeError('BadRequest', 400, `$select names more than ${MAX_SELECTED} properties`);
  const bad = names.find((name) => !PROPERTY.test(name));
  if (bad !== undefined) throw notATerm(bad.slice(0, 64));
  const unknown = names.find((name) => name !== '*' && !type.properties.has(name.toLowerCase()) && !type.relationships.has(name.toLowerCase()));
  if (unknown !== undefined) throw unknownProperty(unknown, type);
  const kept = names.filter((name) => !type.relationships.has(name.toLowerCase()));
  // Relationships alone (`$select=manager`): the id, as for an entity nothing else of was asked, never `users()` and an empty object.
  return kept.length > 0 ? [...new Set(kept)] : ['id'];
}

/**
 * The `$expand` of a request for one resource of `type`: each relationship it names, with the
 * `$select` it gives that relationship (`manager($select=displayName,mail)`), as Graph reads
 * them (https://learn.microsoft.com/en-us/graph/query-parameters#expand-parameter). Only the
 * relationships in `expandable` are expanded here; another name is a 400 in Graph's words,
 * never ignored.
 */
export function entityExpand(search: URLSearchParams, type: GraphType, expandable: readonly string[], related: GraphType): Map<string, PropertySelection> {
  const values = [...search].filter(([key]) => /^\$?expand$/i.test(key));
  if (values.length > 1) throw repeatedOption('expand');
  const expanded = new Map<string, PropertySelection>();
  if (values.length === 0) return expanded;
  for (const item of topLevelItems(values[0]![1])) {
    const { name, options } = /^(?<name>[^()\s]*)\s*(?:\((?<options>.*)\))?$/s.exec(item)?.groups ?? {};
    if (name === undefined || !PROPERTY.test(name) || name === '*') throw BridgeError.invalidRequest(`$expand: '${item.slice(0, 64)}' is not a relationship`);
    const relationship = expandable.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    if (relationship === undefined) {
      if (type.properties.has(name.toLowerCase()))
        throw new BridgeError(
          'BadRequest',
          400,
          `Property '${name}' on type '${type.name}' is not a navigation property or complex property. Only navigation properties can be expanded.`,
        );
      if (type.relationships.has(name.toLowerCase())) throw BridgeError.invalidRequest(`$expand: '${name}' is not expanded here; ask for it by its own path`);
      throw unknownProperty(name, type);
    }
    expanded.set(relationship, readNestedSelect(options, related));
  }
  return expanded;
}

/** A `$expand`'s items, split at its commas outside parentheses. */
function topLevelItems(value: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const character = value[i];
    if (character === '(') depth++;
    else if (character === ')') depth--;
    else if (character === ',' && depth === 0) {
      items.push(value.slice(start, i).trim());
      start = i + 1;
    }
    if (depth < 0 || depth > 1) throw BridgeError.invalidRequest('$expand: its parentheses do not match, or nest');
  }
  if (depth !== 0) throw BridgeError.invalidRequest('$expand: its parentheses do not match, or nest');
  items.push(value.slice(start).trim());
  if (items.length > MAX_SELECTED) throw BridgeError.invalidRequest(`$expand names more than ${MAX_SELECTED} relationships`);
  return items;
}

/** The options in an expanded relationship's parentheses: `$select` alone (`;` between options, as OData writes them). */
function readNestedSelect(options: string | undefined, type: GraphType): PropertySelection {
  if (options === undefined || options.trim() === '') return undefined;
  const [option, ...more] = options.split(';');
  const select = /^\s*\$?select\s*=(.*)$/is.exec(option!)?.[1];
  if (select === undefined || more.some((other) => other.trim() !== ''))
    throw BridgeError.invalidRequest(`$expand: only $select is taken inside an expanded relationship, not '${options.slice(0, 64)}'`);
  return readSelect(select, type);
}

/**
 * Graph's answer to a `$select` name its type lacks: its OData parser's words, as reported
 * for `microsoft.graph.person` (github.com/littlebearapps/outlook-assistant/issues/36) and
 * `microsoft.graph.mobileApp` (github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/4529).
 */
function unknownProperty(name: string, type: GraphType): BridgeError {
  return new BridgeError('BadRequest', 400, `Parsing OData Select and Expand failed: Could not find a property named '${name}' on type '${type.name}'.`);
}

/**
 * Graph's answer to a `$select` item that is no property name: its OData parser's words, as
 * Graph answers `$select=@odata.type` (github.com/microsoftgraph/msgraph-sdk-powershell issues quote it).
 */
function notATerm(item: string): BridgeError {
  return new BridgeError('BadRequest', 400, `Parsing OData Select and Expand failed: Term '${item}' is not valid in a $select or $expand expression.`);
}

/**
 * The `$select` of a request for one resource of `type` (`$select`, or `select` as Graph also
 * reads it, any case). An option only a collection takes is refused in Graph's words (its
 * answer to `Get-MgUser -Count` on one user, github.com/microsoftgraph/msgraph-sdk-powershell/issues/2466),
 * and any other `$` option but those `alsoRead` (by name without `$`, lower case) as a list
 * refuses one it does not take (graph-list-options.ts): never ignored.
 */
export function entitySelect(search: URLSearchParams, type: GraphType, alsoRead: readonly string[] = []): PropertySelection {
  for (const [key, value] of search) {
    if (COLLECTION_OPTIONS.test(key))
      throw new BridgeError(
        'BadRequest',
        400,
        'The query specified in the URI is not valid. The requested resource is not a collection. Query options $filter, $orderby, $count, $skip, and $top can be applied only on collections.',
      );
    const name = key.slice(1).toLowerCase();
    if (name === 'format' && key.startsWith('$')) requireJsonFormat(value);
    else if (key.startsWith('$') && name !== 'select' && !alsoRead.includes(name)) throw unsupportedOption(key, type.name);
  }
  const values = [...search].filter(([key]) => /^\$?select$/i.test(key));
  if (values.length > 1) throw repeatedOption('select');
  return readSelect(values[0]?.[1], type);
}

/**
 * Writes resources with the properties `selection` asks: their `defaults` without one (all
 * of them when undefined), all of them for `*`, else each named one — matched without
 * regard to case, as Graph matches them, and written as the resource names it. A property
 * of the type the resource here lacks is answered null: Graph has properties the bridge keeps
 * nothing for (`accountEnabled`, `birthday`…), and a client that asks one reads the rest still.
 * `kept` come first whatever is selected (an Outlook item's `@odata.etag` and `id`). The
 * names are matched once, on the first resource: every one of a page has the same keys.
 */
export function propertySelector(
  selection: PropertySelection,
  defaults?: readonly string[],
  kept: readonly string[] = [],
): (all: Readonly<Record<string, unknown>>) => Record<string, unknown> {
  if (selection === undefined && defaults === undefined) return (all) => all;
  let written: readonly (readonly [string, boolean])[] | undefined;
  return (all) => {
    written ??= writtenKeys(Object.keys(all), selection, defaults ?? [], kept);
    // Own properties whatever their names (fromEntries defines them), `__proto__` too.
    return Object.fromEntries(written.map(([key, known]) => [key, known ? all[key] : null]));
  };
}

/** Each key a selection writes, as the resource names it, and whether the resource has it. */
function writtenKeys(
  keys: readonly string[],
  selection: PropertySelection,
  defaults: readonly string[],
  kept: readonly string[],
): (readonly [string, boolean])[] {
  const byLowerCase = new Map(keys.map((key) => [key.toLowerCase(), key]));
  const names = selection === undefined ? defaults : selection.includes('*') ? keys : selection;
  const written = new Map<string, boolean>();
  for (const name of [...kept, ...names]) {
    const key = byLowerCase.get(name.toLowerCase());
    written.set(key ?? name, key !== undefined);
  }
  return [...written];
}

/** The `@odata.context` of a selection: `users(displayName,mail)`, as Graph names what it answered. */
export function selectedContext(collection: string, selection: PropertySelection): string {
  return selection === undefined || selection.includes('*') ? collection : `${collection}(${selection.join(',')})`;
}
