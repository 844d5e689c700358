import { BridgeError } from '../domain/errors.js';
import type { XmlElement } from './soap-reader.js';

/**
 * Readers for the request tree. Children are matched by local name: EWS puts them in
 * the messages or types namespace, and clients differ in which prefix they bind where.
 */
export function child(element: XmlElement | undefined, local: string): XmlElement | undefined {
  return element?.children.find((candidate) => candidate.local === local);
}

/**
 * A child the schema allows once (maxOccurs 1): a second one fails schema validation, as
 * Exchange's does, where reading the first answered for it alone (exchangelib sends a
 * ResolveNames with one UnresolvedEntry per name it was given).
 */
export function soleChild(element: XmlElement | undefined, local: string): XmlElement | undefined {
  const found = children(element, local);
  if (found.length > 1) throw BridgeError.schemaValidation(`the element '${local}' may occur once, not ${found.length} times`);
  return found[0];
}

export function children(element: XmlElement | undefined, local: string): XmlElement[] {
  return element ? element.children.filter((candidate) => candidate.local === local) : [];
}

export function attribute(element: XmlElement | undefined, name: string): string | undefined {
  return element?.attributes.get(name);
}

export function textOf(element: XmlElement | undefined): string {
  if (element && element.children.length > 0) throw BridgeError.schemaValidation(`${element.local} holds elements where the schema has text`);
  return element?.text.trim() ?? '';
}

/** xs:int's range: a 32-bit two's-complement integer. */
const XS_INT = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/**
 * An xs:int, XML's blanks around it allowed (space, tab, CR, LF: the schema's whitespace
 * collapse), not Unicode's others (a no-break space, an em space, a byte-order mark);
 * anything else fails schema validation.
 */
export function xsInt(value: string, what: string): number {
  const number = /^[ \t\r\n]*[+-]?\d{1,32}[ \t\r\n]*$/.test(value) ? Number(value) : NaN;
  if (!(number >= XS_INT.min && number <= XS_INT.max)) throw BridgeError.schemaValidation(`${what} '${value.slice(0, 20)}' is not an xs:int`);
  return number;
}

/** An xs:boolean attribute: `fallback` when absent; any value but true, false, 1 and 0 fails schema validation. */
export function booleanAttribute(element: XmlElement | undefined, name: string, fallback: boolean): boolean {
  const value = attribute(element, name)?.trim();
  if (value === undefined) return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw BridgeError.schemaValidation(`the '${name}' attribute is invalid: '${value}' is not a boolean`);
}

/**
 * A value of one of the schema's enumerations: `fallback` when absent; any other fails
 * schema validation, as Exchange's does, where read as the fallback it answered something
 * other than was asked.
 */
export function enumValue<T extends string>(value: string | undefined, allowed: readonly T[], what: string, fallback: T): T {
  if (value === undefined) return fallback;
  const known = allowed.find((candidate) => candidate === value.trim());
  if (known === undefined) throw BridgeError.schemaValidation(`${what} '${value.slice(0, 64)}' is not one of ${allowed.join(', ')}`);
  return known;
}
