import { BridgeError } from '../domain/errors.js';
import { TYPES_NS } from './namespaces.js';
import type { XmlElement } from './soap-reader.js';
import { withoutXmlSpaceAround } from './xml.js';

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

/**
 * A child the schema requires once (minOccurs and maxOccurs 1): without it the request
 * fails schema validation, as Exchange's does, where reading it as empty answered a
 * GetItem without an ItemShape, or a FindFolder without a FolderShape, as if one had
 * been sent.
 */
export function requiredChild(element: XmlElement, local: string): XmlElement {
  const found = soleChild(element, local);
  if (!found) throw BridgeError.schemaValidation(`The element '${element.local}' has incomplete content. List of possible elements expected: '${local}'.`);
  return found;
}

export function children(element: XmlElement | undefined, local: string): XmlElement[] {
  return element ? element.children.filter((candidate) => candidate.local === local) : [];
}

export function attribute(element: XmlElement | undefined, name: string): string | undefined {
  return element?.attributes.get(name);
}

/** An attribute the schema requires (use="required"): without it the request fails schema validation, as Exchange's does. */
export function requiredAttribute(element: XmlElement, name: string): string {
  const value = element.attributes.get(name);
  if (value === undefined) throw BridgeError.schemaValidation(`The required attribute '${name}' is missing.`);
  return value;
}

/** An element's text without the XML white space around it (withoutXmlSpaceAround). */
export function textOf(element: XmlElement | undefined): string {
  if (element && element.children.length > 0) throw BridgeError.schemaValidation(`${element.local} holds elements where the schema has text`);
  return element ? withoutXmlSpaceAround(element.text) : '';
}

/** An element of the schema's NonEmptyStringType: empty, it fails schema validation (blanks are text to it). */
export function nonEmptyText(element: XmlElement): string {
  const text = textOf(element);
  if (element.text === '') throw BridgeError.schemaValidation(`The '${element.ns}:${element.local}' element is invalid - ${EMPTY_NON_EMPTY_STRING}`);
  return text;
}

/** A required attribute of the schema's NonEmptyStringType. */
export function nonEmptyAttribute(element: XmlElement, name: string): string {
  const value = requiredAttribute(element, name);
  if (value === '') throw BridgeError.schemaValidation(`The '${name}' attribute is invalid - ${EMPTY_NON_EMPTY_STRING}`);
  return value;
}

/** As Exchange's schema check words it (a fault exchangelib's issue #96 quotes). */
const EMPTY_NON_EMPTY_STRING = `The value '' is invalid according to its datatype '${TYPES_NS}:NonEmptyStringType' - The actual length is less than the MinLength value.`;

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

const XS_BOOLEAN = /^[ \t\r\n]*(true|false|1|0)[ \t\r\n]*$/;

/** An xs:boolean, XML's blanks around it allowed: any value but true, false, 1 and 0 fails schema validation. */
export function xsBoolean(value: string, what: string): boolean {
  const literal = XS_BOOLEAN.exec(value)?.[1];
  if (literal !== undefined) return literal === 'true' || literal === '1';
  throw BridgeError.schemaValidation(`The '${what}' value '${value.slice(0, 20)}' is invalid according to its datatype xs:boolean.`);
}

/**
 * A value of one of the schema's enumerations: `fallback` when absent; any other fails
 * schema validation, as Exchange's does, where read as the fallback it answered something
 * other than was asked.
 */
export function enumValue<T extends string>(value: string | undefined, allowed: readonly T[], what: string, fallback: T): T {
  if (value === undefined) return fallback;
  const bare = withoutXmlSpaceAround(value);
  const known = allowed.find((candidate) => candidate === bare);
  if (known === undefined) throw BridgeError.schemaValidation(`${what} '${value.slice(0, 64)}' is not one of ${allowed.join(', ')}`);
  return known;
}
