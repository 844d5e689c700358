const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for element content and attribute values alike. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export type Attributes = Record<string, string | number | boolean | undefined>;

/**
 * One element: `<name attrs>children</name>`. Children are already XML; text must go
 * through `text()`. Undefined attributes are left out, so optional ones read naturally.
 */
export function element(name: string, attributes: Attributes = {}, ...children: (string | undefined)[]): string {
  let attrs = '';
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) attrs += ` ${key}="${escapeXml(String(value))}"`;
  }
  const content = children.filter((child) => child !== undefined).join('');
  return content === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
}

/** An element holding text, or nothing when there is no value — EWS leaves unset fields out. */
export function text(name: string, value: string | number | boolean | undefined): string | undefined {
  return value === undefined ? undefined : `<${name}>${escapeXml(String(value))}</${name}>`;
}
