import { BridgeError } from '../domain/errors.js';
import { soapAnswer, type SoapAnswer } from './ews-operation.js';
import { readTargetFolder, type FolderRef } from './folders.js';
import { failure, operationResponse, partedResponse } from './response-messages.js';
import { requiredChild, soleChild, textOf } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/**
 * What both Sync operations ask: the folder (SyncFolderId holds one id; SyncFolderItems
 * requires it, SyncFolderHierarchy does not) and the SyncState, empty the first time.
 */
export function readSyncRequest(request: XmlElement, folderRequired: true): { folder: FolderRef; state: string };
export function readSyncRequest(request: XmlElement, folderRequired: false): { folder: FolderRef | undefined; state: string };
export function readSyncRequest(request: XmlElement, folderRequired: boolean): { folder: FolderRef | undefined; state: string } {
  const syncFolder = folderRequired ? requiredChild(request, 'SyncFolderId') : soleChild(request, 'SyncFolderId');
  return { folder: syncFolder && readTargetFolder(syncFolder), state: textOf(soleChild(request, 'SyncState')) };
}

/**
 * A Sync operation's one response message: the payload `sync` makes, in parts written one by
 * one, or its error with `empty` (SyncState and all). A spent search share is the request's
 * ErrorServerBusy fault, whose back-off clients read.
 */
export async function answerSync(operation: string, empty: string, sync: () => Promise<readonly string[]>): Promise<SoapAnswer> {
  try {
    return soapAnswer(partedResponse(operation, await sync()));
  } catch (error) {
    if (!(error instanceof BridgeError) || error.responseCode === 'ErrorServerBusy') throw error;
    return syncFailure(operation, empty, error);
  }
}

/** A Sync operation's error message, with the `empty` payload (SyncState and all) exchangelib reads before the ResponseCode. */
export function syncFailure(operation: string, empty: string, error: BridgeError): SoapAnswer {
  return soapAnswer(operationResponse(operation, [failure(error, empty)]));
}
