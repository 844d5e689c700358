import { normalizeSmtpAddress } from '../../domain/email.js';
import { BridgeError } from '../../domain/errors.js';
import type { Rendition } from '../../domain/photo.js';
import { userOwner } from '../../domain/photo-owner.js';
import { parseSizeCode } from '../../domain/size-code.js';
import { ifNoneMatchHits } from '../../http/etag-match.js';
import type { EwsContext } from '../ews-context.js';
import { MESSAGES_NS } from '../namespaces.js';
import { messageHead, type MessageOutcome } from '../response-messages.js';
import { child, textOf } from '../soap-args.js';
import { element, text } from '../xml.js';

/**
 * GetUserPhoto: the same photo, size rules and ETag as the REST URL. Exchange answers
 * "no photo" with HTTP 404, and the EWS Managed API relies on it; an unchanged photo
 * (If-None-Match) is HasChanged=false without data.
 */
export async function getUserPhoto(args: unknown, context: EwsContext): Promise<string> {
  try {
    const email = normalizeSmtpAddress(textOf(child(args, 'Email')));
    const size = parseSizeCode(textOf(child(args, 'SizeRequested')));
    const rendition = await context.photos.photo(userOwner(email), size);
    if (!rendition) {
      context.res.statusCode = 404;
      throw BridgeError.photoNotFound(email);
    }
    for (const [name, value] of Object.entries(photoHeaders(rendition, context.photoMaxAgeSeconds))) context.res.setHeader(name, value);
    return photoFoundXml(rendition, context.req.headers['if-none-match']);
  } catch (error) {
    if (!(error instanceof BridgeError)) throw error;
    return photoResponse({ responseClass: 'Error', responseCode: error.responseCode, messageText: error.message }, false);
  }
}

/** HTTP caching headers of a photo answer, as the EWS Managed API reads them. */
export function photoHeaders(rendition: Rendition, maxAgeSeconds: number): { etag: string; expires: string } {
  return { etag: rendition.etag, expires: new Date(Date.now() + maxAgeSeconds * 1000).toUTCString() };
}

/** The response body for a photo that exists: the data, or HasChanged=false when the client holds it. */
export function photoFoundXml(rendition: Rendition, ifNoneMatch: string | undefined): string {
  const unchanged = ifNoneMatchHits(ifNoneMatch, rendition.etag);
  return photoResponse({ responseClass: 'Success', responseCode: 'NoError' }, !unchanged, unchanged ? undefined : rendition.bytes);
}

/** GetUserPhotoResponse is itself the response message: no ResponseMessages wrapper. */
function photoResponse(outcome: MessageOutcome, hasChanged: boolean, picture?: Buffer): string {
  return element(
    'm:GetUserPhotoResponse',
    { 'xmlns:m': MESSAGES_NS, ResponseClass: outcome.responseClass },
    messageHead(outcome),
    text('m:HasChanged', hasChanged),
    picture && text('m:PictureData', picture.toString('base64')),
    picture && text('m:ContentType', 'image/jpeg'),
  );
}
