import { BridgeError } from '../domain/errors.js';
import { child, textOf } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/**
 * Whom an ExchangeImpersonation header asks to act as: the address or principal name its
 * ConnectingSID gives, lower-cased; a SID as written (no account here has one).
 */
export function impersonatedName(header: XmlElement): string {
  const connecting = child(header, 'ConnectingSID');
  for (const local of ['PrimarySmtpAddress', 'SmtpAddress', 'PrincipalName']) {
    const named = child(connecting, local);
    if (named) return textOf(named).toLowerCase();
  }
  return textOf(child(connecting, 'SID'));
}

/**
 * The bridge grants no account the impersonation right, which Exchange requires of a
 * caller acting as another ("ExchangeImpersonation": "The calling account must have the
 * ms-exch-impersonation right … and the ms-exch-MayImpersonate right"): a request that
 * names another account is refused with ErrorImpersonateUserDenied, "returned … when the
 * caller does not have the proper rights to impersonate the specific user in question"
 * (ResponseCode). Naming oneself changes nothing, and is served. Answered as the rest of its
 * request otherwise would be, the caller's own mailbox went out as the other account's.
 */
export function impersonationRefusal(impersonated: string | undefined, mailbox: string | undefined): BridgeError | undefined {
  if (impersonated === undefined || (mailbox !== undefined && impersonated === mailbox.toLowerCase())) return undefined;
  return new BridgeError('ErrorImpersonateUserDenied', 403, 'The account does not have permission to impersonate the requested user.');
}
