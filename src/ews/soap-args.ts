/**
 * Readers for the objects node-soap makes of a request. It turns a repeated element
 * into an array and a single one into an object, attributes land under `attributes`,
 * and an empty element may be '' or {} depending on how the client wrote it.
 */
export type SoapNode = Record<string, unknown> | string | undefined;

export function child(node: unknown, name: string): SoapNode {
  return node && typeof node === 'object' ? ((node as Record<string, unknown>)[name] as SoapNode) : undefined;
}

export function children(node: unknown, name: string): SoapNode[] {
  const value = child(node, name);
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? (value as SoapNode[]) : [value];
}

export function attribute(node: unknown, name: string): string | undefined {
  const value = child(child(node, 'attributes'), name);
  return value === undefined || value === null ? undefined : String(value);
}

/** Text content, whether node-soap gave a string or an object with `$value`. */
export function textOf(node: unknown): string {
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  const value = child(node, '$value');
  return typeof value === 'string' ? value : '';
}

export function isTrue(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}
