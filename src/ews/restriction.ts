import { BridgeError } from '../domain/errors.js';
import { MAX_ENTRY_LENGTH } from '../people/find-people.js';
import { EMAIL_SLOTS, MATCH_LIMITS, testsEveryContactTooOften } from '../store/like-patterns.js';
import {
  type ContactEmailSlot,
  type ContactMatch,
  type ContactPhoneField,
  type ContactTextField,
  type NameBound,
  type NameMatch,
  type TimeBound,
  type TimeComparison,
} from '../store/store.js';
import { timeMatchAsShown, type TimePrecision } from './ews-time.js';
import { personaPaths } from './persona-paths.js';
import { attribute, child, enumValue, requiredAttribute, xsBoolean } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/** A property a test compares: a text field or phone number, or one of the contact's three addresses (any of them: undefined). */
type SearchedProperty = { field: ContactTextField | ContactPhoneField } | { slot: ContactEmailSlot | undefined };

/**
 * What a Restriction may test: the properties by their FieldURIs, the dictionary members by
 * IndexedFieldURI's FieldURI and FieldIndex, and what the errors call the things searched.
 */
export interface SearchVocabulary {
  what: string;
  fields: ReadonlyMap<string, SearchedProperty>;
  members: ReadonlyMap<string, ReadonlyMap<string, SearchedProperty>>;
  /** Whether a contact has a photo, by FieldURI: compared with true or false. */
  pictures: ReadonlySet<string>;
  /** The times it may compare with an instant, by FieldURI. */
  times: ReadonlyMap<string, TimeBound['stamp']>;
}

/**
 * A contact folder's, for FindItem: what exchangelib's `.filter(display_name…)`, `.get(…)`,
 * `.filter(email_addresses__EmailAddress1=…)`, `phone_numbers__MobilePhone`, and
 * ews-javascript-api's ContactSchema.EmailAddress1 and BusinessPhone send. The other phone
 * keys are ones no contact here holds.
 */
const CONTACT_PROPERTIES: SearchVocabulary = {
  what: 'contacts',
  fields: new Map([
    ['contacts:DisplayName', { field: 'displayName' }],
    ['contacts:GivenName', { field: 'givenName' }],
    ['contacts:Surname', { field: 'surname' }],
    ['contacts:CompanyName', { field: 'companyName' }],
    ['contacts:Department', { field: 'department' }],
    ['contacts:JobTitle', { field: 'jobTitle' }],
    // Every contact is filed under its display name (contact-xml.ts: FileAs).
    ['contacts:FileAs', { field: 'displayName' }],
  ]),
  members: new Map([
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
  ]),
  // exchangelib's `.filter(has_picture=True)`, ews-javascript-api's ContactSchema.HasPicture: the contacts a photo service has photos of.
  pictures: new Set(['contacts:HasPicture']),
  // exchangelib's `.filter(last_modified_time__gt=…)`, `datetime_created__range=…`: what changed since a sync.
  times: new Map<string, TimeBound['stamp']>([
    ['item:LastModifiedTime', 'updatedAt'],
    ['item:DateTimeCreated', 'createdAt'],
  ]),
};

/**
 * FindPeople's in the Contacts folder: a persona's names, company and addresses (EmailAddress
 * and EmailAddresses: any of a contact's three), and every contact property — exchangelib's
 * `folder.people().filter(company_name…)` sends contacts:CompanyName.
 */
export const PERSONA_PROPERTIES: SearchVocabulary = {
  what: 'people',
  fields: new Map([
    ...personaPaths(CONTACT_PROPERTIES.fields),
    ['persona:EmailAddress', { slot: undefined }],
    ['persona:EmailAddresses', { slot: undefined }],
    ...CONTACT_PROPERTIES.fields,
  ]),
  members: CONTACT_PROPERTIES.members,
  pictures: CONTACT_PROPERTIES.pictures,
  times: CONTACT_PROPERTIES.times,
};

function searchableNames({ fields, members, pictures, times }: SearchVocabulary): string {
  return [...fields.keys(), ...[...members].map(([uri, indexed]) => `${uri} (${[...indexed.keys()].join(', ')})`), ...pictures, ...times.keys()].join(', ');
}

/** The properties contacts are sorted by, which the ordering comparisons compare in that order. */
const ORDERED_FIELDS: ReadonlySet<string> = new Set<ContactTextField>(['displayName', 'givenName', 'surname', 'companyName', 'department', 'jobTitle']);

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

/** A Restriction as it is read: the expressions it may still hold, the properties it may test, and how precisely the client is shown times. */
interface Reading {
  left: number;
  vocabulary: SearchVocabulary;
  precision: TimePrecision;
}

/**
 * A FindItem or FindPeople Restriction → which contacts match. Tests on the properties the
 * vocabulary names (a contact's display name, given name, surname, company, email addresses
 * and phone numbers; a persona's names and company): `Contains`, `IsEqualTo` and
 * `IsNotEqualTo` (case-insensitive, as Exchange compares strings), the four ordering
 * comparisons (on the names and company, in the order contacts sort by them), `Exists`
 * (every contact has a display name); joined by `And`, `Or` and `Not`. Any other expression
 * or property is refused as Exchange refuses what it cannot search by. Times are compared at
 * the `precision` the answers show them in.
 */
export function readRestriction(restriction: XmlElement | undefined, precision: TimePrecision, vocabulary = CONTACT_PROPERTIES): ContactMatch | undefined {
  if (!restriction) return undefined;
  const match = readExpression(soleExpression(restriction, 'Restriction'), { left: MATCH_LIMITS.terms, vocabulary, precision });
  if (testsEveryContactTooOften(match))
    throw tooComplex(MATCH_LIMITS.testsOfEveryContact, `tests when one of them reads every contact (${READS_EVERY_CONTACT})`);
  return match;
}

/** The tests the name index does not answer, as the errors name them. */
const READS_EVERY_CONTACT = "any but a whole display name's and its ordering comparisons, and any under a Not";

function readExpression(expression: XmlElement, reading: Reading): ContactMatch {
  const { local } = expression;
  const { vocabulary } = reading;
  if (--reading.left < 0) throw tooComplex(MATCH_LIMITS.terms, 'expressions');
  checkOperands(expression);
  const uri = expression.children[0]?.local === 'FieldURI' ? (attribute(expression.children[0], 'FieldURI') ?? '') : '';
  const stamp = vocabulary.times.get(uri);
  if (stamp !== undefined) return readTimeTest(expression, stamp, reading.precision);
  if (vocabulary.pictures.has(uri)) return readPictureTest(expression);
  if (local === 'Contains') return readContains(expression, vocabulary);
  if (local === 'And' || local === 'Or') {
    if (expression.children.length === 0) throw BridgeError.schemaValidation(`${local} holds no search expression`);
    const parts = expression.children.map((part) => readExpression(part, reading));
    return local === 'And' ? { and: parts } : { or: parts };
  }
  if (local === 'Not') return { not: readExpression(soleExpression(expression, 'Not'), reading) };
  if (local === 'Exists') {
    const property = readProperty(expression, vocabulary);
    if ('slot' in property) return property.slot ? { exists: property.slot } : { or: EMAIL_SLOTS.map((slot) => ({ exists: slot })) };
    return property.field === 'displayName' ? { and: [] } : { exists: property.field };
  }
  const bound = BOUNDS.get(local);
  if (bound) return { bound, ...readOrderedValue(expression, vocabulary) };
  if (local === 'IsEqualTo') return equalTo(readComparedValue(expression, vocabulary));
  if (local === 'IsNotEqualTo') return { not: equalTo(readComparedValue(expression, vocabulary)) };
  throw unsupported(`${local} restrictions are not supported; use Contains, IsEqualTo, IsNotEqualTo, the ordering comparisons, Exists, And, Or or Not`);
}

/** The elements that name a property (the schema's Path substitution group). */
const PATHS: ReadonlySet<string> = new Set(['FieldURI', 'IndexedFieldURI', 'ExtendedFieldURI']);

/** What each test holds, in the schema's order: a property's path, then its operand, if any. */
const OPERANDS: ReadonlyMap<string, readonly string[]> = new Map([
  ['Exists', []],
  ['Excludes', ['Bitmask']],
  ['Contains', ['Constant']],
  ...['IsEqualTo', 'IsNotEqualTo', ...BOUNDS.keys()].map((test): [string, string[]] => [test, ['FieldURIOrConstant']]),
]);

/**
 * Holds a test to its schema type before it is read, as Exchange's schema check does: a
 * property's path, then exactly the operand its type has (a FieldURIOrConstant holding one
 * path or one Constant; a Constant or Bitmask with its Value). Read leniently, an IsEqualTo
 * with two values compared with the first and found nothing, and one missing a part was
 * called a filter the bridge does not support. And, Or and Not hold expressions; any other
 * element is none.
 */
export function checkOperands(test: XmlElement): void {
  if (test.local === 'And' || test.local === 'Or' || test.local === 'Not') return;
  const operands = OPERANDS.get(test.local);
  if (operands === undefined) throw BridgeError.schemaValidation(`The element '${test.local}' is not a search expression.`);
  const [path, ...rest] = test.children;
  if (!path || !PATHS.has(path.local)) throw incomplete(test, 'FieldURI, IndexedFieldURI, ExtendedFieldURI');
  operands.forEach((operand, at) => {
    const found = rest[at];
    if (found?.local !== operand) throw incomplete(test, operand);
    if (operand !== 'FieldURIOrConstant') requiredAttribute(found, 'Value');
    else if (found.children.length !== 1 || !(PATHS.has(found.children[0]!.local) || found.children[0]!.local === 'Constant'))
      throw incomplete(found, 'FieldURI, IndexedFieldURI, ExtendedFieldURI, Constant');
    else if (found.children[0]!.local === 'Constant') requiredAttribute(found.children[0]!, 'Value');
  });
  if (rest.length > operands.length)
    throw BridgeError.schemaValidation(`The element '${test.local}' has invalid child element '${rest[operands.length]!.local}'.`);
}

function incomplete(element: XmlElement, expected: string): BridgeError {
  return BridgeError.schemaValidation(`The element '${element.local}' has incomplete content. List of possible elements expected: '${expected}'.`);
}

/** The comparisons of a time with an instant, as OData names them. */
const TIME_COMPARISONS: ReadonlyMap<string, TimeComparison> = new Map<string, TimeComparison>([...BOUNDS, ['IsEqualTo', 'eq'], ['IsNotEqualTo', 'ne']]);

/** A test of a contact's time: compared with its Constant, an xs:dateTime (no zone: UTC), as the time is shown; Exists holds for every contact. */
function readTimeTest(test: XmlElement, stamp: TimeBound['stamp'], precision: TimePrecision): ContactMatch {
  if (test.local === 'Exists') return { and: [] };
  const comparison = TIME_COMPARISONS.get(test.local);
  if (comparison === undefined) throw unsupported(`${test.local} does not compare times; use IsEqualTo, IsNotEqualTo or the ordering comparisons`);
  const constant = readConstant(test);
  const match = timeMatchAsShown(comparison, stamp, constant, precision);
  if (match === undefined) throw BridgeError.schemaValidation(`'${constant.slice(0, 40)}' is not an xs:dateTime`);
  return match;
}

/** A test of whether a contact has a photo: IsEqualTo or IsNotEqualTo an xs:boolean; Exists holds for every contact, which has it true or false. */
function readPictureTest(test: XmlElement): ContactMatch {
  if (test.local === 'Exists') return { and: [] };
  if (test.local !== 'IsEqualTo' && test.local !== 'IsNotEqualTo')
    throw unsupported(`${test.local} does not test HasPicture; use IsEqualTo or IsNotEqualTo with true or false`);
  const hasPhoto = xsBoolean(readConstant(test), 'HasPicture');
  return { hasPhoto: test.local === 'IsEqualTo' ? hasPhoto : !hasPhoto };
}

/** IsEqualTo: a whole text with case ignored, as Exchange compares strings; an address in any of its spellings. */
function equalTo({ property, text }: ComparedValue): ContactMatch {
  return 'slot' in property ? { address: text, slot: property.slot } : { text, field: property.field, mode: 'whole', ignoreCase: true };
}

export function tooComplex(limit: number, what: string): BridgeError {
  return new BridgeError('ErrorRestrictionTooComplex', 400, `a Restriction holds at most ${limit} ${what}`);
}

/** The one search expression a Restriction or a Not holds (the schema allows no more, nor none). */
export function soleExpression(parent: XmlElement, what: string): XmlElement {
  const [expression, ...more] = parent.children;
  if (!expression || more.length > 0) throw BridgeError.schemaValidation(`${what} holds one search expression, not ${parent.children.length}`);
  return expression;
}

/** The property a test compares: its FieldURI, or IndexedFieldURI for one member of a dictionary. */
function readProperty(test: XmlElement, vocabulary: SearchVocabulary): SearchedProperty {
  const path = test.children[0];
  const uri = attribute(path, 'FieldURI');
  const property =
    path?.local === 'IndexedFieldURI'
      ? vocabulary.members.get(uri ?? '')?.get(attribute(path, 'FieldIndex') ?? '')
      : path?.local === 'FieldURI'
        ? vocabulary.fields.get(uri ?? '')
        : undefined;
  if (property === undefined) {
    const named = path?.local === 'IndexedFieldURI' ? `${uri} (${attribute(path, 'FieldIndex') ?? 'no FieldIndex'})` : (uri ?? 'that property');
    throw new BridgeError('ErrorUnsupportedPathForQuery', 400, `${vocabulary.what} can be searched by ${searchableNames(vocabulary)} only, not ${named}`);
  }
  return property;
}

interface ComparedValue {
  property: SearchedProperty;
  text: string;
}

/** The property a test compares and the Constant it compares it with: Contains holds it, the comparisons in FieldURIOrConstant. */
function readComparedValue(test: XmlElement, vocabulary: SearchVocabulary): ComparedValue {
  return { property: readProperty(test, vocabulary), text: readConstant(test) };
}

/** The Constant a test compares with: Contains holds it, the comparisons in FieldURIOrConstant. */
export function readConstant(test: XmlElement): string {
  const constant = child(test.local === 'Contains' ? test : child(test, 'FieldURIOrConstant'), 'Constant');
  const text = attribute(constant, 'Value');
  if (text === undefined) throw unsupported(`the ${test.local} compares with no Constant Value`);
  if (text.length > MAX_CONSTANT_LENGTH)
    throw new BridgeError('ErrorInvalidRestriction', 400, `the Constant Value is longer than ${MAX_CONSTANT_LENGTH} characters`);
  return text;
}

/** A Contains test's ContainmentMode and whether its ContainmentComparison ignores case (EWS defaults FullString and Exact). */
export function readContainment(test: XmlElement): { mode: NameMatch['mode']; ignoreCase: boolean } {
  // Values the schema does not have are its fault (ErrorSchemaValidation), as BasePoint's are.
  const mode = CONTAINMENT_MODES.get(enumValue(attribute(test, 'ContainmentMode'), CONTAINMENT_MODE_NAMES, 'ContainmentMode', 'FullString'))!;
  const comparison = enumValue(attribute(test, 'ContainmentComparison'), CONTAINMENT_COMPARISONS, 'ContainmentComparison', 'Exact');
  return { mode, ignoreCase: comparison !== 'Exact' };
}

/** An ordering comparison's property, one contacts are sorted by, and its Constant. */
function readOrderedValue(test: XmlElement, vocabulary: SearchVocabulary): { field: ContactTextField; text: string } {
  const { property, text } = readComparedValue(test, vocabulary);
  if ('slot' in property || !isOrdered(property.field)) {
    throw new BridgeError('ErrorUnsupportedPathForQuery', 400, `${test.local} compares ${[...vocabulary.fields.keys()].join(', ')} only`);
  }
  return { field: property.field, text };
}

/**
 * Contains with its ContainmentMode and ContainmentComparison (EWS defaults FullString and
 * Exact). An address is compared with ASCII case ignored whatever the comparison, as every
 * address is; a PrefixOnWords in one looks for the text anywhere in it.
 */
function readContains(test: XmlElement, vocabulary: SearchVocabulary): ContactMatch {
  const { property, text } = readComparedValue(test, vocabulary);
  const { mode, ignoreCase } = readContainment(test);
  if ('slot' in property) return { address: text, slot: property.slot, part: mode === 'whole' ? undefined : mode === 'prefix' ? 'prefix' : 'substring' };
  return { text, field: property.field, mode, ignoreCase };
}

function unsupported(reason: string): BridgeError {
  return new BridgeError('ErrorUnsupportedQueryFilter', 400, reason);
}
