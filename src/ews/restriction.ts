import { BridgeError } from '../domain/errors.js';
import { MAX_ENTRY_LENGTH } from '../people/find-people.js';
import type { NameBound, NameFilter, NameMatch } from '../store/store.js';
import { attribute, child, enumValue } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/** The one field a contact folder can be searched by: what exchangelib's `.filter(display_name…)` and `.get(…)` send. */
const SEARCHABLE_FIELD = 'contacts:DisplayName';

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
 * them that are Contains. exchangelib's `display_name__in=[…]` is an Or of one IsEqualTo per
 * name, which the store finds in its name index (128 of them: under a millisecond in 20,000
 * contacts); a Contains compares a part of every contact's name (16 of them: 31 ms in
 * 20,000, 128 took 300 ms on the event loop). Past either, ErrorRestrictionTooComplex, as
 * Exchange answers a restriction it will not evaluate.
 */
const MAX_RESTRICTION = { expressions: 128, Contains: 16 };

type RestrictionBudget = typeof MAX_RESTRICTION;

/**
 * A FindItem Restriction → which display names match. Tests on the display name: `Contains`
 * (with its ContainmentMode and ContainmentComparison; EWS defaults FullString and Exact),
 * `IsEqualTo` and `IsNotEqualTo` (case-insensitive, as Exchange compares strings), the four
 * ordering comparisons (in the order names are listed), `Exists` (every contact has a display
 * name); joined by `And`, `Or` and `Not`. Any other expression or field is refused as Exchange
 * refuses what it cannot search by.
 */
export function readRestriction(restriction: XmlElement | undefined): NameFilter | undefined {
  if (!restriction) return undefined;
  return readExpression(soleExpression(restriction, 'Restriction'), { ...MAX_RESTRICTION });
}

function readExpression(expression: XmlElement, budget: RestrictionBudget): NameFilter {
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
    readDisplayNameField(expression);
    return { and: [] };
  }
  const bound = BOUNDS.get(local);
  if (bound) return { bound, text: readComparedValue(expression) };
  if (local === 'IsEqualTo') return { text: readComparedValue(expression), mode: 'whole', ignoreCase: true };
  if (local === 'IsNotEqualTo') return { not: { text: readComparedValue(expression), mode: 'whole', ignoreCase: true } };
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

function readDisplayNameField(test: XmlElement): void {
  const field = attribute(child(test, 'FieldURI'), 'FieldURI');
  if (field !== SEARCHABLE_FIELD) {
    throw new BridgeError('ErrorUnsupportedPathForQuery', 400, `contacts can be searched by ${SEARCHABLE_FIELD} only, not ${field ?? 'that property'}`);
  }
}

/** The Constant a test compares the display name with: Contains holds it, the comparisons in FieldURIOrConstant. */
function readComparedValue(test: XmlElement): string {
  readDisplayNameField(test);
  const constant = child(test.local === 'Contains' ? test : child(test, 'FieldURIOrConstant'), 'Constant');
  const value = attribute(constant, 'Value');
  if (value === undefined) throw unsupported(`the ${test.local} compares with no Constant Value`);
  if (value.length > MAX_CONSTANT_LENGTH)
    throw new BridgeError('ErrorInvalidRestriction', 400, `the Constant Value is longer than ${MAX_CONSTANT_LENGTH} characters`);
  return value;
}

function readContains(test: XmlElement): NameMatch {
  const text = readComparedValue(test);
  // Values the schema does not have are its fault (ErrorSchemaValidation), as BasePoint's are.
  const mode = CONTAINMENT_MODES.get(enumValue(attribute(test, 'ContainmentMode'), CONTAINMENT_MODE_NAMES, 'ContainmentMode', 'FullString'))!;
  const comparison = enumValue(attribute(test, 'ContainmentComparison'), CONTAINMENT_COMPARISONS, 'ContainmentComparison', 'Exact');
  return { text, mode, ignoreCase: comparison !== 'Exact' };
}

function unsupported(reason: string): BridgeError {
  return new BridgeError('ErrorUnsupportedQueryFilter', 400, reason);
}
