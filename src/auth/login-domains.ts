/**
 * Windows (NetBIOS) domain names, upper-cased, and the DNS domain of their users' addresses:
 * BRIDGE_LOGIN_DOMAINS, `CONTOSO=contoso.com,FABRIKAM=fabrikam.com`.
 */
export type LoginDomains = ReadonlyMap<string, string>;

/** A NetBIOS domain name: up to 15 characters, none of those Windows forbids in one. */
const NETBIOS = /^[^\\/:*?"<>|=,\s]{1,15}$/;
/** A DNS domain as an address has it after its `@`: dotted labels, none empty. */
const isDnsDomain = (domain: string) => domain.length <= 253 && domain.includes('.') && domain.split('.').every((label) => /^[^\s@\\/:,=]+$/.test(label));

/** What is wrong with a BRIDGE_LOGIN_DOMAINS value, if anything. */
export function loginDomainsProblem(list: string): string | undefined {
  const read = readLoginDomains(list);
  return typeof read === 'string' ? read : undefined;
}

/** The domains of a BRIDGE_LOGIN_DOMAINS value that settings have checked with loginDomainsProblem. */
export function parseLoginDomains(list: string): LoginDomains {
  const read = readLoginDomains(list);
  if (typeof read === 'string') throw new Error(`BRIDGE_LOGIN_DOMAINS: ${read}`);
  return read;
}

/** The domains a BRIDGE_LOGIN_DOMAINS value names, or what is wrong with it. */
function readLoginDomains(list: string): LoginDomains | string {
  const domains = new Map<string, string>();
  for (const pair of list.split(',')) {
    if (pair.trim() === '') continue;
    const [netbios, domain, ...rest] = pair.split('=').map((part) => part.trim());
    if (rest.length > 0 || netbios === undefined || domain === undefined) return `'${pair.trim()}' is not NETBIOS=dns.domain`;
    if (!NETBIOS.test(netbios)) return `'${netbios}' is not a NetBIOS domain name (1 to 15 characters)`;
    if (!isDnsDomain(domain)) return `'${domain}' is not a DNS domain (e.g. contoso.com)`;
    domains.set(netbios.toUpperCase(), domain.toLowerCase());
  }
  return domains;
}

/**
 * The login name a Basic user name stands for: `CONTOSO\adele` is `adele@contoso.com` when
 * CONTOSO is one of `domains` (Exchange takes a down-level logon name, DOMAIN\user, beside the
 * UPN, and it is the first example of exchangelib's README); any other name as typed.
 */
export function withLoginDomain(typed: string, domains: LoginDomains): string {
  const slash = typed.indexOf('\\');
  if (slash <= 0 || domains.size === 0) return typed;
  const domain = domains.get(typed.slice(0, slash).toUpperCase());
  return domain === undefined ? typed : `${typed.slice(slash + 1)}@${domain}`;
}
