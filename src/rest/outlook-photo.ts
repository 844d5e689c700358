import type { Request } from 'express';
import { BridgeError } from '../domain/errors.js';
import type { ServedRendition } from '../domain/photo.js';
import { graphBaseUrl, graphSizeId, type AskedOwner } from './graph-photo-path.js';

/*
 * The Outlook REST API's User Photo API (v2.0 and beta), which Outlook add-ins call at their
 * mailbox's `restUrl` (`…/api`) + `/v2.0/me/photo/$value`: "Outlook User Photo REST API
 * reference (version 2.0)", https://learn.microsoft.com/en-us/previous-versions/office/office-365-api/api/version-2.0/photo-rest-operations,
 * and its beta page. The same photos and paths as Graph's (`me`, `Users('{email}')`, `photo`,
 * `photos('{size}')`, `$value`), answered in that API's own words: PascalCase properties and
 * `@odata.id`, and, for someone without a photo, the 1X1 placeholder its metadata names.
 */

/** Where the API is: under `/api`, as `Office.context.mailbox.restUrl` names it; photos are in v2.0 and beta, never v1.0. */
export const OUTLOOK_REST_BASES = ['/api/v2.0', '/api/beta'] as const;

/** `@odata.context` as the reference's samples write it: `Me/photo/$entity` for the caller's. */
export function outlookContextUrl(req: Request, asked: AskedOwner, what: string): string {
  return `${graphBaseUrl(req)}/$metadata#${asked.caller ? 'Me' : usersKey(asked)}/${what}`;
}

/** A photo's metadata as the reference's sample writes it; without `served`, what it answers "when a photo hasn't already been uploaded for the user": a 1X1 GIF with no ETag. */
export function outlookPhotoEntity(req: Request, asked: AskedOwner, served: ServedRendition | undefined): Record<string, unknown> {
  return {
    '@odata.id': `${graphBaseUrl(req)}/${usersKey(asked)}/photo`,
    '@odata.mediaContentType': served?.contentType ?? 'image/gif',
    '@odata.mediaEtag': served?.etag ?? '',
    Id: served ? graphSizeId(served.width, served.height) : '1X1',
    Width: served?.width ?? 1,
    Height: served?.height ?? 1,
  };
}

/** The user as an OData key (`Users('{email}')`), a quote in it written twice. */
function usersKey(asked: AskedOwner): string {
  return `Users('${encodeURIComponent(asked.name.replaceAll("'", "''"))}')`;
}

/**
 * No photo to send, or no such mailbox. The reference documents no error; this is the one
 * Exchange's photo service gives through Graph (reported in microsoftgraph/microsoft-graph-docs-contrib#7939).
 */
export function outlookPhotoNotFound(): BridgeError {
  return new BridgeError('ErrorItemNotFound', 404, "The photo wasn't found.");
}
