import { BlockList, isIP } from 'node:net';

/** Answers remembered per list, at most; beyond it the memo starts over (only a flood of distinct peers gets there). */
const MEMO_MAX = 4096;

/**
 * A set of IP addresses and CIDR blocks from a setting (`10.0.0.5, 10.1.0.0/16, ::1`; `none`
 * for none).
 * An IPv4 entry also matches the IPv4-mapped IPv6 form (`::ffff:10.0.0.5`) a dual-stack
 * socket reports. A check costs microseconds, and the same few peers ask again and
 * again, so answers are remembered.
 */
export class AddressList {
  private readonly blocks = new BlockList();
  private readonly memo = new Map<string, boolean>();
  readonly isEmpty: boolean;

  /** Throws with `addressListProblem`'s message for a list that does not parse. */
  constructor(list: string) {
    const entries = entriesOf(list);
    for (const entry of entries) {
      const parsed = parseEntry(entry);
      if (typeof parsed === 'string') throw new Error(parsed);
      if (parsed.prefix === undefined) this.blocks.addAddress(parsed.address, parsed.family);
      else this.blocks.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
    this.isEmpty = entries.length === 0;
  }

  includes(address: string): boolean {
    let known = this.memo.get(address);
    if (known === undefined) {
      const family = isIP(address);
      known = family !== 0 && this.blocks.check(address, family === 4 ? 'ipv4' : 'ipv6');
      if (this.memo.size >= MEMO_MAX) this.memo.clear();
      this.memo.set(address, known);
    }
    return known;
  }
}

/** What is wrong with a list, naming the first bad entry; undefined when every entry is an address or CIDR. */
export function addressListProblem(list: string): string | undefined {
  for (const entry of entriesOf(list)) {
    const parsed = parseEntry(entry);
    if (typeof parsed === 'string') return parsed;
  }
  return undefined;
}

/** `none` is the empty list, for a setting whose empty value means its default. */
function entriesOf(list: string): string[] {
  if (list.trim().toLowerCase() === 'none') return [];
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

function parseEntry(entry: string): { address: string; family: 'ipv4' | 'ipv6'; prefix?: number } | string {
  const [address = '', prefixText, extra] = entry.split('/');
  const version = isIP(address);
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? undefined : Number(prefixText);
  if (version === 0 || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefixText!) && prefix <= bits))) {
    return `'${entry}' is not an IP address or CIDR block (e.g. 10.0.0.5, 10.1.0.0/16, ::1)`;
  }
  return { address, family: version === 4 ? 'ipv4' : 'ipv6', ...(prefix === undefined ? {} : { prefix }) };
}
