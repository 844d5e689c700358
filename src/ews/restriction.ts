import { BridgeError } from '../domain/errors.js';
import { MAX_ENTRY_LENGTH } from '../people/find-people.js';
import type { NameMatch } from '../store/store.js';
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

/**
 * A FindItem Restriction → how the display name must match. `Contains` (with its
 * ContainmentMode and ContainmentComparison; EWS defaults FullString and Exact) and
 * `IsEqualTo` (case-insensitive, as Exchange compares strings) on the display name; any
 * other restriction or field is refused as Exchange refuses what it cannot search by.
 */
export function readRestriction(restriction: XmlElement | undefined): NameMatch | undefined {
  if (!restriction) return undefined;
  const [test, ...more] = restriction.children;
  if (!test || more.length > 0) throw unsupported('a Restriction holds exactly one search expression');
  if (test.local !== 'Contains' && test.local !== 'IsEqualTo') throw unsupported(`${test.local} restrictions are not supported; use Contains or IsEqualTo`);
  const field = attribute(child(test, 'FieldURI'), 'FieldURI');
  if (field !== SEARCHABLE_FIELD) {
    throw new BridgeError('ErrorUnsupportedPathForQuery', 400, `contacts can be searched by ${SEARCHABLE_FIELD} only, not ${field ?? 'that property'}`);
  }
  const constant = child(test.local === 'Contains' ? test : child(test, 'FieldURIOrConstant'), 'Constant');
  const value = attribute(constant, 'Value');
  if (value === undefined) throw unsupported('the restriction compares with no Constant Value');
  if (value.length > MAX_CONSTANT_LENGTH)
    throw new BridgeError('ErrorInvalidRestriction', 400, `the Constant Value is longer than ${MAX_CONSTANT_LENGTH} characters`);
  if (test.local === 'IsEqualTo') return { text: value, mode: 'whole', ignoreCase: true };
  // Values the schema does not have are its fault (ErrorSchemaValidation), as BasePoint's are.
  const mode = CONTAINMENT_MODES.get(enumValue(attribute(test, 'ContainmentMode'), CONTAINMENT_MODE_NAMES, 'ContainmentMode', 'FullString'))!;
  const comparison = enumValue(attribute(test, 'ContainmentComparison'), CONTAINMENT_COMPARISONS, 'ContainmentComparison', 'Exact');
  return { text: value, mode, ignoreCase: comparison !== 'Exact' };
}

function unsupported(reason: string): BridgeError {
  return new BridgeError('ErrorUnsupportedQueryFilter', 400, reason);
}
