import { BridgeError } from '../domain/errors.js';
import { MAX_ENTRY_LENGTH } from '../people/find-people.js';
import { MATCH_LIMITS } from '../store/like-patterns.js';
import type { ContactTextField, NameBound, ContactMatch, NameMatch } from '../store/store.js';
import { attribute, child, enumValue } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/**
 * The contact properties a folder can be searched by, by their FieldURIs: what exchangelib's
 * `.filter(display_name…)`, `.get(…)`, `.filter(company_name…)` send.
 */
const SEARCHABLE_FIELDS: ReadonlyMap<string, ContactTextField> = new Map([
  ['contacts:DisplayName', 'displayName'],
  ['contacts:GivenName', 'givenName'],
  ['contacts:Surname', 'surname'],
  ['contacts:CompanyName', 'companyName'],
]);

/**
 * The longest value a display name is compared with, as ResolveNames's longest entry: no
 * name comes near. It becomes a LIKE pattern, and past ~50,000 characters SQLite fails
 * the query ("pattern too complex"), answered as an internal error with its stack logged.
 */
const MAX_CONSTANT_LENGTH = MAX_ENTRY_LENGTH;

const CONTAINMENT_MODES: ReadonlyMap<string, NameMatch['mode']> = new Map([
  ['FullString', 'whole'],
  ['Prefixed', 'prefix'],
  ['PrefixOnWords', 'wordPrefix'],
  ['Substring', 'substring'],
  ['ExactPhrase', 'substring'],
]);

const CONTAINMENT_MODE_NAMES = [...CONTAINMENT_MODES.keys()];

/**
 * EWS's ContainmentComparison values. Exact compares the name as written; every other
 * compares folded names, case and accents ignored ("Loose" asks Exchange to ignore more,
 * IgnoreNonSpacingCharacters alone to keep case: both answer a little more than asked).
 */
const CONTAINMENT_COMPARISONS = [
  'Exact',
  'IgnoreCase',
  'IgnoreNonSpacingCharacters',
  'Loose',
  'IgnoreCaseAndNonSpacingCharacters',
  'LooseAndIgnoreCase',
  'LooseAndIgnoreNonSpace',
  'LooseAndIgnoreCaseAndIgnoreNonSpace',
] as const;

/** EWS's comparisons of a property with a constant, as the store bounds a display name (IsEqualTo and IsNotEqualTo are matches). */
const BOUNDS: ReadonlyMap<string, NameBound['bound']> = new Map([
  ['IsLessThan', 'lt'],
  ['IsLessThanOrEqualTo', 'le'],
  ['IsGreaterThan', 'gt'],
  ['IsGreaterThanOrEqualTo', 'ge'],
]);

/**
 * The most expressions one Restriction may hold, tests and And/Or/Not alike, and the most of
 * them that are Contains (MATCH_LIMITS). Past either, ErrorRestrictionTooComplex, as Exchange
 * answers a restriction it will not evaluate.
 */
const MAX_RESTRICTION = { expressions: MATCH_LIMITS.terms, Contains: MATCH_LIMITS.partTests };

type RestrictionBudget = typeof MAX_RESTRICTION;

/**
 * A FindItem Restriction → which contacts match. Tests on the display name, given name,
 * surname or company: `Contains` (with its ContainmentMode and ContainmentComparison; EWS
 * defaults FullString and Exact), `IsEqualTo` and `IsNotEqualTo` (case-insensitive, as Exchange
 * compares strings), the four ordering comparisons (in the order contacts sort by that
 * property), `Exists` (every contact has a display name); joined by `And`, `Or` and `Not`. Any
 * other expression or property is refused as Exchange refuses what it cannot search by.
 */
export function readRestriction(restriction: XmlElement | undefined): ContactMatch | undefined {
  if (!restriction) return undefined;
  return readExpression(soleExpression(restriction, 'Restriction'), { ...MAX_RESTRICTION });
}

function readExpression(expression: XmlElement, budget: RestrictionBudget): ContactMatch {
  const { local } = expression;
  spend(budget, 'expressions');
  if (local === 'Contains') {
    spend(budget, 'Contains');
    return readContains(expression);
  }
  if (local === 'And' || local === 'Or') {
    if (expression.children.length === 0) throw BridgeError.schemaValidation(`${local} holds no search expression`);
    const parts = expression.children.map((part) => readExpression(part, budget));
    return local === 'And' ? { and: parts } : { or: parts };
  }
  if (local === 'Not') return { not: readExpression(soleExpression(expression, 'Not'), budget) };
  if (local === 'Exists') {
    const field = readField(expression);
    return field === 'displayName' ? { and: [] } : { exists: field };
  }
  const bound = BOUNDS.get(local);
  if (bound) return { bound, ...readComparedValue(expression) };
  if (local === 'IsEqualTo') return { ...readComparedValue(expression), mode: 'whole', ignoreCase: true };
  if (local === 'IsNotEqualTo') return { not: { ...readComparedValue(expression), mode: 'whole', ignoreCase: true } };
  throw unsupported(`${local} restrictions are not supported; use Contains, IsEqualTo, IsNotEqualTo, the ordering comparisons, Exists, And, Or or Not`);
}

function spend(budget: RestrictionBudget, what: keyof RestrictionBudget): void {
  if (--budget[what] < 0) throw new BridgeError('ErrorRestrictionTooComplex', 400, `a Restriction holds at most ${MAX_RESTRICTION[what]} ${what}`);
}

/** The one search expression a Restriction or a Not holds (the schema allows no more, nor none). */
function soleExpression(parent: XmlElement, what: string): XmlElement {
  const [expression, ...more] = parent.children;
  if (!expression || more.length > 0) throw BridgeError.schemaValidation(`${what} holds one search expression, not ${parent.children.length}`);
  return expression;
}

function readField(test: XmlElement): ContactTextField {
  const uri = attribute(child(test, 'FieldURI'), 'FieldURI');
  const field = uri === undefined ? undefined : SEARCHABLE_FIELDS.get(uri);
  if (field === undefined) {
    const searchable = [...SEARCHABLE_FIELDS.keys()].join(', ');
    throw new BridgeError('ErrorUnsupportedPathForQuery', 400, `contacts can be searched by ${searchable} only, not ${uri ?? 'that property'}`);
  }
  return field;
}

/** The property a test compares and the Constant it compares it with: Contains holds it, the comparisons in FieldURIOrConstant. */
function readComparedValue(test: XmlElement): { field: ContactTextField; text: string } {
  const field = readField(test);
  const constant = child(test.local === 'Contains' ? test : child(test, 'FieldURIOrConstant'), 'Constant');
  const text = attribute(constant, 'Value');
  if (text === undefined) throw unsupported(`the ${test.local} compares with no Constant Value`);
  if (text.length > MAX_CONSTANT_LENGTH)
    throw new BridgeError('ErrorInvalidRestriction', 400, `the Constant Value is longer than ${MAX_CONSTANT_LENGTH} characters`);
  return { field, text };
}

function readContains(test: XmlElement): NameMatch {
  const compared = readComparedValue(test);
  // Values the schema does not have are its fault (ErrorSchemaValidation), as BasePoint's are.
  const mode = CONTAINMENT_MODES.get(enumValue(attribute(test, 'ContainmentMode'), CONTAINMENT_MODE_NAMES, 'ContainmentMode', 'FullString'))!;
  const comparison = enumValue(attribute(test, 'ContainmentComparison'), CONTAINMENT_COMPARISONS, 'ContainmentComparison', 'Exact');
  return { ...compared, mode, ignoreCase: comparison !== 'Exact' };
}

function unsupported(reason: string): BridgeError {
  return new BridgeError('ErrorUnsupportedQueryFilter', 400, reason);
}
