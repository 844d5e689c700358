import { BridgeError } from '../domain/errors.js';
import type { EwsContext } from './ews-operation.js';
import type { ItemIds } from './item-ids.js';
import { attribute, child, textOf } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';
import { element, text } from './xml.js';

/**
 * The folders a mailbox shows here: the Contacts folder, and the two folders above it
 * that clients walk through to find it (exchangelib asks for the root before anything).
 * Every mailbox has the same three; their ids are sealed like item ids.
 */
export const FOLDERS = {
  root: { code: 1, element: 't:Folder', displayName: 'Root', folderClass: undefined, parent: undefined },
  msgfolderroot: { code: 2, element: 't:Folder', displayName: 'Top of Information Store', folderClass: 'IPF.Note', parent: 'root' },
  contacts: { code: 3, element: 't:ContactsFolder', displayName: 'Contacts', folderClass: 'IPF.Contact', parent: 'msgfolderroot' },
} as const;
export type FolderName = keyof typeof FOLDERS;

const BY_CODE = new Map(Object.entries(FOLDERS).map(([name, folder]) => [folder.code as number, name as FolderName]));

/**
 * A FolderId or DistinguishedFolderId of a request, as read: only the strings that name
 * the folder. A read request is remembered (the SOAP memo counts it by its body's bytes),
 * so it keeps no element trees: 300 empty elements inside one folder id once made each
 * remembered 1.7 KB envelope hold ~100 KB.
 */
export type FolderRef = { kind: 'distinguished'; name: string; mailbox: string } | { kind: 'id'; id: string | undefined } | { kind: 'other' };

export function readFolderRef(id: XmlElement): FolderRef {
  if (id.local === 'DistinguishedFolderId') {
    return { kind: 'distinguished', name: attribute(id, 'Id') ?? '', mailbox: textOf(child(child(id, 'Mailbox'), 'EmailAddress')).toLowerCase() };
  }
  return id.local === 'FolderId' ? { kind: 'id', id: attribute(id, 'Id') } : { kind: 'other' };
}

/** Which folder a request's folder id names; ErrorFolderNotFound for any other (another mailbox's included). */
export function folderOf(ref: FolderRef, context: Pick<EwsContext, 'ids' | 'mailbox'>): FolderName {
  if (ref.kind === 'distinguished' && Object.hasOwn(FOLDERS, ref.name) && (ref.mailbox === '' || ref.mailbox === context.mailbox)) {
    return ref.name as FolderName;
  }
  const name = ref.kind === 'id' ? BY_CODE.get(context.ids.decode('folder', ref.id)) : undefined;
  if (name) return name;
  throw folderNotFound();
}

/** What a folder reference names, to tell references to one folder apart from others: its folder, or (none found) the reference itself. */
export function folderKey(context: Pick<EwsContext, 'ids' | 'mailbox'>): (ref: FolderRef) => string {
  return (ref) => {
    try {
      return folderOf(ref, context);
    } catch {
      return `unknown ${JSON.stringify(ref)}`;
    }
  };
}

export function folderNotFound(): BridgeError {
  return new BridgeError('ErrorFolderNotFound', 404, 'The specified folder could not be found in the store.');
}

export function folderIdXml(tag: 't:FolderId' | 't:ParentFolderId', name: FolderName, ids: ItemIds): string {
  return element(tag, { Id: ids.encode('folder', FOLDERS[name].code), ChangeKey: CHANGE_KEY });
}
// The folders themselves never change; only their contents do, and those carry their own ChangeKeys.
const CHANGE_KEY = 'AQAAAA==';

/** The folder in schema order: FolderId, ParentFolderId, FolderClass, DisplayName, TotalCount, ChildFolderCount (then UnreadCount, Folder only). */
export function folderXml(name: FolderName, totalCount: number, ids: ItemIds): string {
  const folder = FOLDERS[name];
  const children = Object.values(FOLDERS).filter((other) => other.parent === name).length;
  return element(
    folder.element,
    {},
    folderIdXml('t:FolderId', name, ids),
    folder.parent && folderIdXml('t:ParentFolderId', folder.parent, ids),
    text('t:FolderClass', folder.folderClass),
    text('t:DisplayName', folder.displayName),
    text('t:TotalCount', totalCount),
    text('t:ChildFolderCount', children),
    folder.element === 't:Folder' ? text('t:UnreadCount', 0) : undefined,
  );
}
