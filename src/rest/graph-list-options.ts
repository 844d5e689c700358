import { BridgeError } from '../domain/errors.js';
import { labelledRoute } from '../metrics/request-metrics.js';

/**
 * The system query options of a Graph list, by name without `$`, lower case. An option is
 * never ignored:
 * - its `$` is optional (Graph's beta takes `filter` for `$filter`, and v1.0 does for some
 *   APIs: https://learn.microsoft.com/en-us/graph/query-parameters) and its name is read
 *   without regard to case (OData 4.01);
 * - one the list does not take (`$expand`, a misspelt one) is refused: a service "MUST
 *   reject any requests which contain the unsupported option" (MS-ODATA 2.2.3.6.1); one
 *   given twice is refused with the words Microsoft's OData stack uses.
 * Parameters that are no OData option (no `$`, not one of the list's names) are left alone,
 * as Graph leaves them. `$format`, which every list takes, is read as `format` (JSON only).
 */
export function readListOptions(search: URLSearchParams, allowed: ReadonlySet<string>, resource: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const [key, value] of search) {
    const dollar = key.startsWith('$');
    const name = (dollar ? key.slice(1) : key).toLowerCase();
    if (dollar && name === 'format') requireJsonFormat(value);
    else if (!allowed.has(name)) {
      if (dollar) throw unsupportedOption(key, resource);
      continue;
    }
    if (options.has(name)) throw repeatedOption(name);
    options.set(name, value);
  }
  return options;
}

/**
 * The path of a function bound to a collection (`delta`), in the forms clients write it:
 * bare, as the documentation does; with its parentheses, as the Kiota-made SDKs do
 * (`…/contacts/delta()`); or qualified by its namespace (`microsoft.graph.delta()`). In any
 * case, as Graph matches segments.
 */
export function boundFunctionPath(collection: '/users' | '/me/contacts' | '/me/contactFolders', name: 'delta'): RegExp {
  return labelledRoute(new RegExp(`^${collection}/(?:microsoft\\.graph\\.)?${name}(?:\\(\\))?$`, 'i'), `${collection}/${name}`);
}

/**
 * `$format`, which every resource takes (https://learn.microsoft.com/en-us/graph/query-parameters
 * lists `/users?$format=json`): JSON, by its name or its media type, is what is answered anyway;
 * any other format is one the bridge does not write.
 */
export function requireJsonFormat(value: string): void {
  if (!/^(?:json|application\/json(?:;.*)?)$/i.test(value.trim()))
    throw new BridgeError('ErrorInvalidUrlQuery', 400, `The format '${value.slice(0, 64)}' is not supported: only $format=json is answered.`);
}

/** An `$orderby` of one property, `asc` (the default) or `desc`: the property in lower case; undefined when it is no such clause. */
export function orderByClause(value: string): { property: string; descending: boolean } | undefined {
  const [, property, direction] = /^\s*([a-z]+)(?:\s+(asc|desc))?\s*$/i.exec(value) ?? [];
  return property === undefined ? undefined : { property: property.toLowerCase(), descending: direction?.toLowerCase() === 'desc' };
}

/** A `$` option the resource does not take. */
export function unsupportedOption(key: string, resource: string): BridgeError {
  return new BridgeError('ErrorInvalidUrlQuery', 400, `The query parameter '${key.slice(0, 64)}' is not supported on ${resource}.`);
}

/** An option given twice, refused with the words Microsoft's OData stack uses. */
export function repeatedOption(name: string): BridgeError {
  return new BridgeError('ErrorInvalidUrlQuery', 400, `Query option '$${name}' was specified more than once, but it must be specified at most once.`);
}

/** An integer option: its default when absent, `refusal` (ErrorInvalidRequest, 400) when it is not a whole number in range. */
export function integerOption(
  options: ReadonlyMap<string, string>,
  name: string,
  fallback: number,
  min: number,
  max: number,
  refusal = (_value: string) => BridgeError.invalidRequest(`$${name} must be a whole number from ${min} to ${max}`),
): number {
  const value = options.get(name);
  if (value === undefined) return fallback;
  const number = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max)) throw refusal(value);
  return number;
}

/** `$count`: true or false, in any case. */
export function countOption(options: ReadonlyMap<string, string>): boolean {
  const count = options.get('count')?.toLowerCase();
  if (count !== undefined && count !== 'true' && count !== 'false') throw BridgeError.invalidRequest('$count must be true or false');
  return count === 'true';
}

/** The options that say where a page starts: a link writes its own position, never the one it was asked from. */
const POSITION_OPTIONS = new Set(['skip', 'skiptoken', 'deltatoken']);

/**
 * The options a next page's or a delta's link asks again, as `&$name=value`: every one the
 * request was read with but its position, so the next page is the same query in the same
 * shape (`$format=application/json;odata.metadata=none` too, which `@odata.nextLink` outlives).
 */
export function carriedOptions(options: ReadonlyMap<string, string>): string {
  return [...options]
    .filter(([name]) => !POSITION_OPTIONS.has(name))
    .map(([name, value]) => `&$${name}=${encodeURIComponent(value)}`)
    .join('');
}
