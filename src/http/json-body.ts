import type { BridgeError } from '../domain/errors.js';

/** UTF-8's byte order mark. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * How deep a request's JSON may nest arrays and objects, as the SOAP reader bounds elements
 * (soap-reader.ts): no body a client sends here nests past three, and what is read is written
 * again (a $batch request's body, by JSON.stringify, which recurses): 5,000 nested arrays, 10 KB,
 * overflowed the stack, a 500.
 */
const MAX_JSON_DEPTH = 32;

/**
 * A request body read as JSON; one that is not, or nests deeper than MAX_JSON_DEPTH, is the
 * caller's own error (`refused`, with why). A byte order mark before it is passed over:
 * "implementations that parse JSON texts MAY ignore the presence of a byte order mark rather
 * than treating it as an error" (RFC 8259 §8.1), and some clients (.NET's Encoding.UTF8,
 * PowerShell 5's UTF-8) write one.
 */
export function jsonOf(body: Buffer, refused: (reason: string) => BridgeError): unknown {
  const text = (body.subarray(0, BOM.length).equals(BOM) ? body.subarray(BOM.length) : body).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw refused('the body is not JSON');
  }
  if (nestsDeeper(text, MAX_JSON_DEPTH)) throw refused(`the body nests arrays and objects deeper than ${MAX_JSON_DEPTH}`);
  return value;
}

/** Whether a JSON text (one JSON.parse took) opens more than `limit` arrays and objects inside each other; brackets in strings do not count. */
function nestsDeeper(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (code === CLOSE_ARRAY || code === CLOSE_OBJECT) depth--;
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
