import { BridgeError } from '../domain/errors.js';
import { mailboxName } from '../http/own-mailboxes.js';
import { textOf } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/**
 * Whom the ExchangeImpersonation header asks to act as: the address or principal name its
 * ConnectingSID gives, in mailboxName's form; a SID as written (no account here has one). The schema
 * has one header and one ConnectingSID child (a choice of PrincipalName, SID,
 * PrimarySmtpAddress, SmtpAddress): another is its validation fault, as Exchange's schema
 * check answers it. Reading the first alone, a second naming another account went unrefused.
 */
export function impersonatedName(headers: readonly XmlElement[]): string | BridgeError {
  const connecting = headers.length === 1 ? headers[0]!.children.filter((element) => element.local === 'ConnectingSID') : [];
  const named = connecting.length === 1 ? connecting[0]!.children : [];
  if (named.length !== 1) return BridgeError.schemaValidation('ExchangeImpersonation takes one ConnectingSID naming one account');
  const [account] = named;
  return account!.local === 'SID' ? textOf(account) : mailboxName(textOf(account));
}

/**
 * The bridge grants no account the impersonation right, which Exchange requires of a
 * caller acting as another ("ExchangeImpersonation": "The calling account must have the
 * ms-exch-impersonation right … and the ms-exch-MayImpersonate right"): a request that
 * names another account is refused with ErrorImpersonateUserDenied, "returned … when the
 * caller does not have the proper rights to impersonate the specific user in question"
 * (ResponseCode). Naming oneself (`own`: ownMailboxes) changes nothing, and is served.
 * Answered as the rest of its request otherwise would be, the caller's own mailbox went out
 * as the other account's.
 */
export function impersonationRefusal(impersonated: string | BridgeError | undefined, own: ReadonlySet<string>): BridgeError | undefined {
  if (impersonated instanceof BridgeError) return impersonated;
  if (impersonated === undefined || own.has(impersonated)) return undefined;
  return new BridgeError('ErrorImpersonateUserDenied', 403, 'The account does not have permission to impersonate the requested user.');
}

/**
 * The headers with which a caller asks for rights beyond its own, each refused as Exchange
 * refuses a caller who does not hold the right (Learn's ResponseCode page): a serialized
 * security context needs the token-serialization right (ErrorTokenSerializationDenied);
 * OpenAsAdminOrSystemService is for Exchange's own services ("not used by clients"), a
 * right no caller holds (ErrorAccessDenied); a ManagementRole header names roles, and the
 * bridge assigns none (ErrorInvalidManagementRoleHeader, "the ManagementRole header … is
 * incorrect"). Dropped, as they were, a request asking for another mailbox as a service
 * was answered from the caller's own, as if it had been granted.
 */
const PRIVILEGE_REFUSALS: ReadonlyMap<string, () => BridgeError> = new Map([
  ['SerializedSecurityContext', () => new BridgeError('ErrorTokenSerializationDenied', 403, 'The caller does not have the right to use token serialization.')],
  ['OpenAsAdminOrSystemService', () => new BridgeError('ErrorAccessDenied', 403, 'OpenAsAdminOrSystemService is for Exchange services, not for clients.')],
  ['ManagementRole', () => new BridgeError('ErrorInvalidManagementRoleHeader', 403, 'The ManagementRole header names roles the caller does not have.')],
]);

/** The headers that ask for privileges, among those a request keeps. */
export const PRIVILEGE_HEADERS: readonly string[] = [...PRIVILEGE_REFUSALS.keys()];

/** Why a request asking for a privilege by its headers is refused, or undefined when it asks for none. */
export function privilegeRefusal(headers: readonly XmlElement[]): BridgeError | undefined {
  const asking = headers.find((header) => PRIVILEGE_REFUSALS.has(header.local));
  return asking && PRIVILEGE_REFUSALS.get(asking.local)!();
}
