import { BridgeError } from '../domain/errors.js';
import { MATCH_LIMITS } from '../store/like-patterns.js';
import type { NameMatch } from '../store/store.js';
import { FOLDERS, type FolderName } from './folders.js';
import { checkOperands, readConstant, readContainment, soleExpression, tooComplex } from './restriction.js';
import { attribute } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/** Which folders a FindFolder Restriction holds for. */
export type FolderTest = (folder: FolderName) => boolean;

type FolderProperty = (folder: FolderName) => string | undefined;

/** What a folder Restriction may test, by FieldURI: the two properties a client finds a folder by. */
const FOLDER_PROPERTIES: ReadonlyMap<string, FolderProperty> = new Map<string, FolderProperty>([
  ['folder:DisplayName', (folder) => FOLDERS[folder].displayName],
  ['folder:FolderClass', (folder) => FOLDERS[folder].folderClass],
]);

/**
 * A FindFolder Restriction → which folders it holds for. Clients find a folder by its name
 * or class so: exchangelib's `account.root // 'Top of Information Store'` (IsEqualTo on
 * folder:DisplayName), ews-javascript-api's `SearchFilter.IsEqualTo(FolderSchema.FolderClass,
 * 'IPF.Contact')`. `IsEqualTo`, `IsNotEqualTo` (case ignored, as Exchange compares strings),
 * `Contains` and `Exists` on those two, joined by `And`, `Or` and `Not`; a mailbox here has
 * three folders, so the test runs on each of them rather than in the store.
 */
export function readFolderRestriction(restriction: XmlElement | undefined): FolderTest | undefined {
  if (!restriction) return undefined;
  let left = MATCH_LIMITS.terms;
  const read = (expression: XmlElement): FolderTest => {
    if (--left < 0) throw tooComplex(MATCH_LIMITS.terms, 'expressions');
    checkOperands(expression);
    const { local } = expression;
    if (local === 'And' || local === 'Or') {
      if (expression.children.length === 0) throw BridgeError.schemaValidation(`${local} holds no search expression`);
      const parts = expression.children.map(read);
      return local === 'And' ? (folder) => parts.every((part) => part(folder)) : (folder) => parts.some((part) => part(folder));
    }
    if (local === 'Not') {
      const part = read(soleExpression(expression, 'Not'));
      return (folder) => !part(folder);
    }
    const property = readFolderProperty(expression);
    if (local === 'Exists') return (folder) => property(folder) !== undefined;
    if (local === 'IsEqualTo' || local === 'IsNotEqualTo') {
      const wanted = readConstant(expression).toLowerCase();
      const equal = (folder: FolderName) => property(folder)?.toLowerCase() === wanted;
      return local === 'IsEqualTo' ? equal : (folder) => !equal(folder);
    }
    if (local === 'Contains') {
      const contains = containment(readConstant(expression), readContainment(expression));
      return (folder) => contains(property(folder) ?? '');
    }
    throw new BridgeError(
      'ErrorUnsupportedQueryFilter',
      400,
      `${local} restrictions on folders are not supported; use IsEqualTo, IsNotEqualTo, Contains, Exists, And, Or or Not`,
    );
  };
  return read(soleExpression(restriction, 'Restriction'));
}

function readFolderProperty(test: XmlElement): FolderProperty {
  const path = test.children[0];
  const property = path?.local === 'FieldURI' ? FOLDER_PROPERTIES.get(attribute(path, 'FieldURI') ?? '') : undefined;
  if (property === undefined) {
    const named = attribute(path, 'FieldURI') ?? 'that property';
    throw new BridgeError('ErrorUnsupportedPathForQuery', 400, `folders can be searched by ${[...FOLDER_PROPERTIES.keys()].join(', ')} only, not ${named}`);
  }
  return property;
}

/** A Contains test on one text, as the store's contact tests compare a name: whole, from its start, from a word's start, or anywhere. */
function containment(constant: string, { mode, ignoreCase }: { mode: NameMatch['mode']; ignoreCase: boolean }): (value: string) => boolean {
  const fold = (text: string) => (ignoreCase ? text.toLowerCase() : text);
  const wanted = fold(constant);
  return (value) => {
    const text = fold(value);
    if (mode === 'whole') return text === wanted;
    if (mode === 'prefix') return text.startsWith(wanted);
    if (mode === 'wordPrefix') return ` ${text}`.includes(` ${wanted}`);
    return text.includes(wanted);
  };
}
