import type { XmlElement } from './soap-reader.js';

/**
 * Readers for the request tree. Children are matched by local name: EWS puts them in
 * the messages or types namespace, and clients differ in which prefix they bind where.
 */
export function child(element: XmlElement | undefined, local: string): XmlElement | undefined {
  return element?.children.find((candidate) => candidate.local === local);
}

export function children(element: XmlElement | undefined, local: string): XmlElement[] {
  return element ? element.children.filter((candidate) => candidate.local === local) : [];
}

export function attribute(element: XmlElement | undefined, name: string): string | undefined {
  return element?.attributes.get(name);
}

export function textOf(element: XmlElement | undefined): string {
  return element?.text.trim() ?? '';
}

export function isTrue(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}
