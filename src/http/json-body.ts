import type { BridgeError } from '../domain/errors.js';

/** A request body read as JSON; one that is not is the caller's own error. */
export function jsonOf(body: Buffer, notJson: () => BridgeError): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw notJson();
  }
}
