import { BridgeError } from '../domain/errors.js';
import { MAX_ENTRY_LENGTH } from '../people/find-people.js';
import { MATCH_LIMITS } from '../store/like-patterns.js';
import type { ContactEmailSlot, ContactMatch, ContactPhoneField, ContactTextField, NameBound, NameMatch } from '../store/store.js';
import { attribute, child, enumValue } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/** A property a test compares: a text field or phone number, or one of the contact's three addresses. */
type SearchedProperty = { field: ContactTextField | ContactPhoneField } | { slot: ContactEmailSlot };

/**
 * The contact properties a folder can be searched by, by their FieldURIs: what exchangelib's
 * `.filter(display_name…)`, `.get(…)`, `.filter(company_name…)` send.
 */
const SEARCHABLE_FIELDS: ReadonlyMap<string, SearchedProperty> = new Map([
  ['contacts:DisplayName', { field: 'displayName' }],
  ['contacts:GivenName', { field: 'givenName' }],
  ['contacts:Surname', { field: 'surname' }],
  ['contacts:CompanyName', { field: 'companyName' }],
]);

/**
 * The dictionary members a folder can be searched by, by IndexedFieldURI's FieldURI and
 * FieldIndex: exchangelib's `.filter(email_addresses__EmailAddress1=…)`,
 * `phone_numbers__MobilePhone`, ews-javascript-api's ContactSchema.EmailAddress1 and
 * BusinessPhone. The other phone keys are ones no contact here holds.
 */
const SEARCHABLE_MEMBERS: ReadonlyMap<string, ReadonlyMap<string, SearchedProperty>> = new Map([
  [
    'contacts:EmailAddress',
    new Map<string, SearchedProperty>([
      ['EmailAddress1', { slot: 'email1' }],
      ['EmailAddress2', { slot: 'email2' }],
      ['EmailAddress3', { slot: 'email3' }],
    ]),
  ],
  [
    'contacts:PhoneNumber',
    new Map<string, SearchedProperty>([
      ['BusinessPhone', { field: 'businessPhone' }],
      ['HomePhone', { field: 'homePhone' }],
      ['MobilePhone', { field: 'mobilePhone' }],
    ]),
  ],
]);

const SEARCHABLE_NAMES = [...SEARCHABLE_FIELDS.keys(), ...[...SEARCHABLE_MEMBERS].map(([uri, members]) => `${uri} (${[...members.keys()].join(', ')})`)].join(
  ', ',
);

/** The properties contacts are sorted by, which the ordering comparisons compare in that order. */
const ORDERED_FIELDS: ReadonlySet<string> = new Set<ContactTextField>(['displayName', 'givenName', 'surname', 'companyName']);

function isOrdered(field: ContactTextField | ContactPhoneField): field is ContactTextField {
  return ORDERED_FIELDS.has(field);
}

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
 * surname, company, an email address or a phone number: `Contains`, `IsEqualTo` and
 * `IsNotEqualTo` (case-insensitive, as Exchange compares strings), the four ordering
 * comparisons (on the names and company, in the order contacts sort by them), `Exists`
 * (every contact has a display name); joined by `And`, `Or` and `Not`. Any other expression
 * or property is refused as Exchange refuses what it cannot search by.
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
    const property = readProperty(expression);
    if ('slot' in property) return { exists: property.slot };
    return property.field === 'displayName' ? { and: [] } : { exists: property.field };
  }
  const bound = BOUNDS.get(local);
  if (bound) return { bound, ...readOrderedValue(expression) };
  if (local === 'IsEqualTo') return equalTo(readComparedValue(expression));
  if (local === 'IsNotEqualTo') return { not: equalTo(readComparedValue(expression)) };
  throw unsupported(`${local} restrictions are not supported; use Contains, IsEqualTo, IsNotEqualTo, the ordering comparisons, Exists, And, Or or Not`);
}

/** IsEqualTo: a whole text with case ignored, as Exchange compares strings; an address in any of its spellings. */
function equalTo({ property, text }: ComparedValue): ContactMatch {
  return 'slot' in property ? { address: text, slot: property.slot } : { text, field: property.field, mode: 'whole', ignoreCase: true };
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

/** The property a test compares: its FieldURI, or IndexedFieldURI for one member of a dictionary. */
function readProperty(test: XmlElement): SearchedProperty {
  const path = test.children[0];
  const uri = attribute(path, 'FieldURI');
  const property =
    path?.local === 'IndexedFieldURI'
      ? SEARCHABLE_MEMBERS.get(uri ?? '')?.get(attribute(path, 'FieldIndex') ?? '')
      : path?.local === 'FieldURI'
        ? SEARCHABLE_FIELDS.get(uri ?? '')
        : undefined;
  if (property === undefined) {
    const named = path?.local === 'IndexedFieldURI' ? `${uri} (${attribute(path, 'FieldIndex') ?? 'no FieldIndex'})` : (uri ?? 'that property');
    throw new BridgeError('ErrorUnsupportedPathForQuery', 400, `contacts can be searched by ${SEARCHABLE_NAMES} only, not ${named}`);
  }
  return property;
}

interface ComparedValue {
  property: SearchedProperty;
  text: string;
}

/** The property a test compares and the Constant it compares it with: Contains holds it, the comparisons in FieldURIOrConstant. */
function readComparedValue(test: XmlElement): ComparedValue {
  const property = readProperty(test);
  const constant = child(test.local === 'Contains' ? test : child(test, 'FieldURIOrConstant'), 'Constant');
  const text = attribute(constant, 'Value');
  if (text === undefined) throw unsupported(`the ${test.local} compares with no Constant Value`);
  if (text.length > MAX_CONSTANT_LENGTH)
    throw new BridgeError('ErrorInvalidRestriction', 400, `the Constant Value is longer than ${MAX_CONSTANT_LENGTH} characters`);
  return { property, text };
}

/** An ordering comparison's property, one contacts are sorted by, and its Constant. */
function readOrderedValue(test: XmlElement): { field: ContactTextField; text: string } {
  const { property, text } = readComparedValue(test);
  if ('slot' in property || !isOrdered(property.field)) {
    throw new BridgeError('ErrorUnsupportedPathForQuery', 400, `${test.local} compares ${[...SEARCHABLE_FIELDS.keys()].join(', ')} only`);
  }
  return { field: property.field, text };
}

/**
 * Contains with its ContainmentMode and ContainmentComparison (EWS defaults FullString and
 * Exact). An address is compared with ASCII case ignored whatever the comparison, as every
 * address is; a PrefixOnWords in one looks for the text anywhere in it.
 */
function readContains(test: XmlElement): ContactMatch {
  const { property, text } = readComparedValue(test);
  // Values the schema does not have are its fault (ErrorSchemaValidation), as BasePoint's are.
  const mode = CONTAINMENT_MODES.get(enumValue(attribute(test, 'ContainmentMode'), CONTAINMENT_MODE_NAMES, 'ContainmentMode', 'FullString'))!;
  const comparison = enumValue(attribute(test, 'ContainmentComparison'), CONTAINMENT_COMPARISONS, 'ContainmentComparison', 'Exact');
  if ('slot' in property) return { address: text, slot: property.slot, part: mode === 'whole' ? undefined : mode === 'prefix' ? 'prefix' : 'substring' };
  return { text, field: property.field, mode, ignoreCase: comparison !== 'Exact' };
}

function unsupported(reason: string): BridgeError {
  return new BridgeError('ErrorUnsupportedQueryFilter', 400, reason);
}
