import { domainToASCII, domainToUnicode } from 'node:url';
import { BridgeError } from './errors.js';
import { isAscii } from './plain-text.js';

/** A domain's label (RFC 5321's sub-domain): letters and digits of any script, as IDNs are typed, hyphens inside. */
const LABEL = String.raw`[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]*[\p{L}\p{N}\p{M}])?`;
// Deliberately plain: one @, no spaces, control characters or angle brackets in the local
// part, and a domain of two labels or more. Exchange accepts any SMTP address it can route;
// the bridge only has to refuse what cannot be one (a NUL in `email=` was looked up, and
// answered "no photo"; `a@b.example/extra` was taken by Autodiscover's JSON path as an address).
const SMTP_ADDRESS = new RegExp(String.raw`^[^\s\p{Cc}@<>()[\]\\,;:"]+@(?:${LABEL}\.)+${LABEL}$`, 'u');
const MAX_SMTP_LENGTH = 320;

export function isSmtpAddress(value: string): boolean {
  return value.length <= MAX_SMTP_LENGTH && SMTP_ADDRESS.test(value);
}

/**
 * Returns the address in the form the directory keys on (canonicalSmtpAddress), or throws.
 * Only plain spaces around it are dropped (a pasted address, a `+` in a query string):
 * String.prototype.trim would also drop CR, LF, tabs, a no-break space, a BOM or an
 * ideographic space, and an `email=` holding one was then answered as the address without it.
 */
export function normalizeSmtpAddress(value: string): string {
  const trimmed = withoutSpacesAround(value);
  if (!isSmtpAddress(trimmed)) throw BridgeError.invalidEmail(trimmed);
  return canonicalSmtpAddress(trimmed);
}

/** The value without U+0020 at its ends; an index walk, as a ` +$` pattern is quadratic on a long run of spaces inside. */
function withoutSpacesAround(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value[start] === ' ') start++;
  while (end > start && value[end - 1] === ' ') end--;
  return value.slice(start, end);
}

const A_LABEL = /[@.]xn--/i;

/** Whether canonicalSmtpAddress may write the address otherwise than in lower case: only one with a letter outside ASCII or an A-label. */
export function mayHaveOtherSpelling(address: string): boolean {
  return !isAscii(address) || A_LABEL.test(address);
}

/**
 * The one spelling of an address the store keys on, whichever of its equal forms was
 * written: lower case, in Unicode's composed form (NFC), with the domain in Unicode.
 *
 * RFC 6532 §3.1 (Internationalized Email Headers, "UTF-8 Syntax and Normalization") has
 * UTF-8 addresses normalised to NFC: "renée" typed on a Mac (NFD, e + U+0301) is the
 * "renée" of a Windows directory (U+00E9). IDNA (RFC 5890 §2.3.2.1) makes an A-label
 * (xn--bcher-kva) and its U-label (bücher) the same label. The U-label is kept: a local
 * part outside ASCII makes an address UTF-8 whatever its domain, directories (AD's
 * proxyAddresses, a CSV) hold the domain as people read it, and every address the store
 * already has in ASCII or in Unicode stays as it is.
 *
 * Node's url.domainToUnicode "returns the Unicode serialization of the domain. If domain
 * is an invalid domain, the empty string is returned": such a domain is left as written.
 * An ASCII address without an A-label (nearly all) is only lower-cased: no normalisation
 * on the photo path's hot spot.
 */
export function canonicalSmtpAddress(address: string): string {
  const lowerCase = address.toLowerCase();
  if (!mayHaveOtherSpelling(lowerCase)) return lowerCase;
  return withUnicodeDomain(lowerCase.normalize('NFC'));
}

/**
 * The address in canonicalSmtpAddress's spelling, but for ASCII case: one whose spelling
 * only ASCII case could set apart from it is left as written. Every store compares
 * addresses with ASCII case ignored, so `Johanna@Fabrikam.com` is found as it is and a
 * contact shows it as its owner typed it; a letter outside ASCII or an A-label is what
 * a store cannot compare, and is written canonical.
 */
export function canonicalUpToAsciiCase(address: string): string {
  return mayHaveOtherSpelling(address) ? canonicalSmtpAddress(address) : address;
}

/** The address (or login name) with its domain's A-labels as U-labels, as canonicalSmtpAddress writes it; one without `@` or without an A-label as it is. */
export function withUnicodeDomain(address: string): string {
  return withDomain(address, (domain) => A_LABEL.test(`.${domain}`), uLabelsOf);
}

/**
 * The domain with its A-labels as U-labels; "" (left as written) for one with a label that
 * only looks like an A-label. Node's url.domainToUnicode decodes `xn--contoso-` to `contoso`,
 * which no U-label is (RFC 5890 §2.3.2.1: it includes "at least one non-ASCII character"):
 * so read, `anna@xn--contoso-.com` logged in as anna@contoso.com, where the photo URL finds
 * no such mailbox.
 */
function uLabelsOf(domain: string): string {
  const converted = domainToUnicode(domain);
  const uLabels = converted.split('.');
  return domain.split('.').some((label, i) => label.startsWith('xn--') && isAscii(uLabels[i] ?? '')) ? '' : converted;
}

/** The address with its domain's U-labels as A-labels (RFC 5890), as a protocol that takes only ASCII hostnames writes it; one without `@` or all ASCII as it is. */
export function withAsciiDomain(address: string): string {
  return withDomain(address, (domain) => !isAscii(domain), domainToASCII);
}

/** The address with its domain converted where `needed` says so; as it is where IDNA refuses the domain (node:url gives ""). */
function withDomain(address: string, needed: (domain: string) => boolean, convert: (domain: string) => string): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  if (at < 0 || !needed(domain)) return address;
  const converted = convert(domain);
  return converted === '' ? address : `${address.slice(0, at + 1)}${converted}`;
}

/**
 * The start of an address in canonicalSmtpAddress's spelling, as far as a start can be
 * written in it: lower case and composed (NFC) always, and each A-label of its domain as its
 * U-label. Addresses are looked up by their start where a person types one in part: the
 * ResolveNames operation (learn.microsoft.com/exchange/client-developer/web-service-reference/
 * resolvenames-operation) "performs a partial match against each value" of an `smtp:` entry,
 * and a search matches the start of an address. A label counts as whole when a dot or the end
 * of the text follows it, so `anna@xn--bcher-kva` is `anna@bücher` and finds anna@bücher.example.
 *
 * An A-label typed only in part (`xn--bcher-k`) says nothing of the start of its U-label
 * (Punycode is not written in the U-label's order) and is left as typed: it then matches
 * only addresses stored in that form, and the store keeps none — such a text finds no one.
 * Node's url.domainToUnicode gives "" for a label that is no Punycode and the ASCII text of
 * one that decodes without a letter outside ASCII (`xn--bcher-` → `bcher`), which no
 * U-label is (RFC 5890 §2.3.2.1: a U-label is "in Normalization Form C (NFC) and including
 * at least one non-ASCII character"): both are such parts.
 */
export function canonicalAddressPrefix(prefix: string): string {
  const lowerCase = prefix.toLowerCase();
  if (!mayHaveOtherSpelling(lowerCase)) return lowerCase;
  const composed = lowerCase.normalize('NFC');
  const at = composed.lastIndexOf('@');
  if (at < 0) return composed;
  const domain = composed
    .slice(at + 1)
    .split('.')
    .map(uLabelOrAsTyped)
    .join('.');
  return `${composed.slice(0, at + 1)}${domain}`;
}

function uLabelOrAsTyped(label: string): string {
  if (!label.startsWith('xn--')) return label;
  const decoded = domainToUnicode(label);
  return isAscii(decoded) ? label : decoded;
}
