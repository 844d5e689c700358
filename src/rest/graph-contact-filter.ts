import { BridgeError } from '../domain/errors.js';
import { MATCH_LIMITS, testsEveryContactTooOften } from '../store/like-patterns.js';
import { isoInstant } from '../domain/instant.js';
import { timeMatch, type ContactMatch, type ContactTextField, type NameBound, type TimeBound, type TimeComparison } from '../store/store.js';

/** The contact properties a `$filter` compares, by their Graph names. */
export const FILTERABLE: ReadonlyMap<string, ContactTextField> = new Map([
  ['displayName', 'displayName'],
  ['givenName', 'givenName'],
  ['surname', 'surname'],
  ['companyName', 'companyName'],
  ['department', 'department'],
  ['jobTitle', 'jobTitle'],
]);

const BOUNDS: ReadonlyMap<string, NameBound['bound']> = new Map([
  ['lt', 'lt'],
  ['le', 'le'],
  ['gt', 'gt'],
  ['ge', 'ge'],
]);

/** What one filter may hold (MATCH_LIMITS): terms in all, and how deep parentheses and `not` may nest. */
const MAX_FILTER = { terms: MATCH_LIMITS.terms, depth: 32 };

/** The contact times a `$filter` compares with an instant, by their Graph names. */
const TIMES: ReadonlyMap<string, TimeBound['stamp']> = new Map([
  ['createdDateTime', 'createdAt'],
  ['lastModifiedDateTime', 'updatedAt'],
]);

/**
 * A string literal (a quote inside written twice), a DateTimeOffset literal (unquoted, OData
 * 4.01 Part 2 §5.1.1.6.1), a name (a path may hold `/`), or punctuation; blanks between.
 */
const TOKEN = /\s*(?:'((?:[^']|'')*)'|(\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)|([A-Za-z_][\w/]*)|([(),:]))\s*/y;

interface Token {
  kind: 'string' | 'time' | 'name' | 'mark';
  text: string;
}

/**
 * A Graph `$filter` on contacts as the store matches it, or undefined for one the bridge does
 * not read. OData's (OData 4.01 Part 2 §5.1.1): `eq`, `ne`, `lt`, `le`, `gt`, `ge` and
 * `startswith` on displayName, givenName, surname, companyName, department and jobTitle — compared as Exchange
 * compares them, case ignored (and for the display name accents too) — the address filter
 * Graph documents for contacts (user-list-contacts: `emailAddresses/any(a:a/address eq '…')`,
 * any lambda variable), `createdDateTime` and `lastModifiedDateTime` compared with an instant
 * (`ge 2024-01-01T00:00:00Z`), joined by `and`, `or`, `not` and parentheses. Read in one pass over
 * its tokens.
 */
export function readContactFilter(filter: string): ContactMatch | undefined {
  const tokens = tokenize(filter);
  if (!tokens) return undefined;
  const parser = new FilterParser(tokens);
  const match = parser.or(0);
  if (!match || !parser.done()) return undefined;
  if (testsEveryContactTooOften(match)) {
    throw tooComplex(
      `holds more than ${MATCH_LIMITS.testsOfEveryContact} tests when one of them reads every contact (any but a displayName's eq and its ordering comparisons, and any under a not)`,
    );
  }
  return match;
}

function tokenize(filter: string): Token[] | undefined {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < filter.length) {
    const found = TOKEN.exec(filter);
    if (!found) return undefined;
    if (found[1] !== undefined) tokens.push({ kind: 'string', text: found[1].replaceAll("''", "'") });
    else if (found[2] !== undefined) tokens.push({ kind: 'time', text: found[2] });
    else if (found[3] !== undefined) tokens.push({ kind: 'name', text: found[3] });
    else if (found[4] !== undefined) tokens.push({ kind: 'mark', text: found[4] });
  }
  return tokens;
}

class FilterParser {
  private at = 0;
  private left = MAX_FILTER.terms;

  constructor(private readonly tokens: readonly Token[]) {}

  done(): boolean {
    return this.at === this.tokens.length;
  }

  or(depth: number): ContactMatch | undefined {
    return this.joined('or', () => this.joined('and', () => this.unary(depth)));
  }

  private joined(operator: 'and' | 'or', part: () => ContactMatch | undefined): ContactMatch | undefined {
    const parts = [part()];
    while (parts.at(-1) && this.name(operator)) parts.push(part());
    if (parts.some((one) => one === undefined)) return undefined;
    if (parts.length === 1) return parts[0];
    return operator === 'and' ? { and: parts as ContactMatch[] } : { or: parts as ContactMatch[] };
  }

  private unary(depth: number): ContactMatch | undefined {
    if (depth > MAX_FILTER.depth) throw tooComplex(`nests deeper than ${MAX_FILTER.depth}`);
    if (this.name('not')) {
      const negated = this.unary(depth + 1);
      return negated && { not: negated };
    }
    if (this.mark('(')) {
      const inner = this.or(depth + 1);
      return inner && this.mark(')') ? inner : undefined;
    }
    if (--this.left < 0) throw tooComplex(`holds more than ${MAX_FILTER.terms} terms`);
    if (this.name('startswith')) return this.startsWith();
    const first = this.next('name');
    if (first === undefined) return undefined;
    if (first.toLowerCase() === 'emailaddresses/any') return this.anyAddress();
    const stamp = TIMES.get(first);
    if (stamp !== undefined) return this.timeTest(stamp);
    const field = FILTERABLE.get(first);
    const operator = this.next('name')?.toLowerCase();
    const text = this.next('string');
    if (field === undefined || operator === undefined || text === undefined) return undefined;
    if (operator === 'eq') return { text, mode: 'whole', ignoreCase: true, field };
    if (operator === 'ne') return { not: { text, mode: 'whole', ignoreCase: true, field } };
    const bound = BOUNDS.get(operator);
    return bound && { bound, text, field };
  }

  /** `lastModifiedDateTime ge 2024-01-01T00:00:00Z`: a contact's time compared with an instant, as a sync asks what changed since. */
  private timeTest(stamp: TimeBound['stamp']): ContactMatch | undefined {
    const operator = this.next('name')?.toLowerCase();
    const literal = this.next('time');
    const time = literal === undefined ? undefined : isoInstant(literal, 'OData');
    if (time === undefined || (operator !== 'eq' && operator !== 'ne' && !BOUNDS.has(operator ?? ''))) return undefined;
    return timeMatch(operator as TimeComparison, stamp, time);
  }

  /** `startswith(property,'text')`, its name in any case as the existing readers took it. */
  private startsWith(): ContactMatch | undefined {
    if (!this.mark('(')) return undefined;
    const field = FILTERABLE.get(this.next('name') ?? '');
    const text = this.mark(',') ? this.next('string') : undefined;
    return field && text !== undefined && this.mark(')') ? { text, mode: 'prefix', ignoreCase: true, field } : undefined;
  }

  /** `emailAddresses/any(a:a/address eq 'address')`, whatever the lambda variable. */
  private anyAddress(): ContactMatch | undefined {
    if (!this.mark('(')) return undefined;
    const variable = this.next('name');
    if (variable === undefined || !this.mark(':') || this.next('name')?.toLowerCase() !== `${variable.toLowerCase()}/address`) return undefined;
    const address = this.name('eq') ? this.next('string') : undefined;
    return address !== undefined && this.mark(')') ? { address } : undefined;
  }

  /** The next token's text if it is of this kind (and consumes it). */
  private next(kind: Token['kind']): string | undefined {
    const token = this.tokens[this.at];
    if (token?.kind !== kind) return undefined;
    this.at++;
    return token.text;
  }

  /** Whether the next token is this keyword, in any case (and consumes it if so). */
  private name(keyword: string): boolean {
    const token = this.tokens[this.at];
    if (token?.kind !== 'name' || token.text.toLowerCase() !== keyword) return false;
    this.at++;
    return true;
  }

  private mark(text: string): boolean {
    const token = this.tokens[this.at];
    if (token?.kind !== 'mark' || token.text !== text) return false;
    this.at++;
    return true;
  }
}

function tooComplex(reason: string): BridgeError {
  return new BridgeError('ErrorInvalidUrlQueryFilter', 400, `The query filter is too complex: it ${reason}.`);
}
