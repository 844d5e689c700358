import type { BridgeError } from '../domain/errors.js';

/** UTF-8's byte order mark. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * A request body read as JSON; one that is not is the caller's own error. A byte order mark
 * before it is passed over: "implementations that parse JSON texts MAY ignore the presence of
 * a byte order mark rather than treating it as an error" (RFC 8259 §8.1), and some clients
 * (.NET's Encoding.UTF8, PowerShell 5's UTF-8) write one.
 */
export function jsonOf(body: Buffer, notJson: () => BridgeError): unknown {
  try {
    return JSON.parse((body.subarray(0, BOM.length).equals(BOM) ? body.subarray(BOM.length) : body).toString('utf8'));
  } catch {
    throw notJson();
  }
}
