import { normalizeSmtpAddress } from '../../domain/email.js';
import { BridgeError } from '../../domain/errors.js';
import type { Rendition } from '../../domain/photo.js';
import { userOwner, type PhotoOwner } from '../../domain/photo-owner.js';
import { parseSizeCode, type PhotoSize } from '../../domain/size-code.js';
import { heldWhenSent } from '../../http/end-with-body.js';
import { ifNoneMatchHits } from '../../http/etag-match.js';
import { WallClock } from '../../http/wall-clock.js';
import { soapAnswer, type EwsContext, type EwsOperation, type SoapAnswer } from '../ews-operation.js';
import { encodedEnvelope } from '../envelope.js';
import { MESSAGES_NS } from '../namespaces.js';
import { messageHead, type MessageOutcome } from '../response-messages.js';
import { soleChild, textOf } from '../soap-args.js';
import { element, text } from '../xml.js';

interface GetUserPhotoArgs {
  email: string;
  owner: PhotoOwner;
  size: PhotoSize;
}

/**
 * GetUserPhoto: the same photo, size rules and ETag as the REST URL. Exchange answers
 * "no photo" with HTTP 404, and the EWS Managed API relies on it; an unchanged photo
 * (If-None-Match) is HasChanged=false without data.
 */
export const getUserPhoto: EwsOperation<GetUserPhotoArgs> = {
  need: 'photo',

  read(request) {
    const email = normalizeSmtpAddress(textOf(soleChild(request, 'Email')));
    return { email, owner: userOwner(email), size: parseSizeCode(textOf(soleChild(request, 'SizeRequested'))) };
  },

  run(args, context) {
    return cachedPhotoAnswer(args.owner, args.size, context) ?? answerFromSource(args, context);
  },

  refuse: refusal,
};

/** The answer for a photo the cache holds, made without a turn of the event loop, as the REST URL's is; undefined when it holds none. */
export function cachedPhotoAnswer(
  owner: PhotoOwner,
  size: PhotoSize,
  context: Pick<EwsContext, 'photos' | 'ifNoneMatch' | 'photoMaxAgeSeconds' | 'startedAt'>,
): SoapAnswer | undefined {
  const cached = context.photos.cachedPhoto(owner, size);
  return cached ? photoAnswer(cached, context) : undefined;
}

async function answerFromSource(args: GetUserPhotoArgs, context: EwsContext): Promise<SoapAnswer> {
  const rendition = await context.photos.photo(args.owner, args.size, undefined, context.turn);
  return rendition ? photoAnswer(rendition, context) : { ...refusal(BridgeError.photoNotFound(args.email)), status: 404 };
}

function refusal(error: BridgeError): SoapAnswer {
  return soapAnswer(photoResponse({ responseClass: 'Error', responseCode: error.responseCode, messageText: error.message }, false));
}

/**
 * The answer for a photo that exists: the data, or HasChanged=false when the client
 * holds it, with the HTTP caching headers the EWS Managed API reads. The body is a pure
 * function of the rendition and whether the client has it, so it is remembered per ETag.
 * It is not held to BRIDGE_EWS_MAX_ANSWER_BYTES, as it cannot pass its smallest, 3 MiB: a
 * rendition is a JPEG of at most 648×648 pixels, 656×656 with its blocks' padding, 4:2:0
 * (sharp's default: 1.5 samples a pixel), and no sample is coded in more than 27 bits, a
 * 16-bit Huffman code and 11 bits of magnitude (ITU-T T.81 Annex C, Tables F.1 and F.2):
 * 2.18 MB, 2.9 MB in base64, room left for 8% of stuffed bytes. The largest found (binary
 * noise at quality 100) answers 877,130 bytes.
 */
function photoAnswer(rendition: Rendition, context: Pick<EwsContext, 'ifNoneMatch' | 'photoMaxAgeSeconds' | 'startedAt'>): SoapAnswer {
  const headers = { etag: rendition.etag, expires: expiresIn(context.photoMaxAgeSeconds, context.startedAt) };
  if (ifNoneMatchHits(context.ifNoneMatch, rendition.etag)) return soapAnswer(UNCHANGED, 200, headers);
  let body = answeredBodies.get(rendition);
  if (body === undefined) {
    body = encodedEnvelope(photoResponse(SUCCESS, true, rendition.bytes));
    answeredBodies.set(rendition, body);
  }
  return soapAnswer(body, 200, headers);
}

const SUCCESS: MessageOutcome = { responseClass: 'Success', responseCode: 'NoError' };
const UNCHANGED = encodedEnvelope(photoResponse(SUCCESS, false));

/**
 * The memory the answer remembered for a rendition holds, as the photo cache counts it
 * (PhotoCacheLimits.heldBesides): the envelope around its base64, and its text as well when
 * small (endWithBody). None for a rendition in another format than JPEG: GetUserPhoto
 * answers only JPEG (its ContentType says so), and those are a browser's, picked by Accept.
 */
export function rememberedAnswerBytes(rendition: Rendition): number {
  if (rendition.contentType !== 'image/jpeg') return 0;
  return heldWhenSent(ANSWER_BYTES_BESIDES_PICTURE + 4 * Math.ceil(rendition.bytes.length / 3));
}
const ANSWER_BYTES_BESIDES_PICTURE = encodedEnvelope(photoResponse(SUCCESS, true, Buffer.alloc(3))).length - 4;

/** The HTTP date `seconds` after `startedAt` (performance.now()); formatted once per second, not once per answer. */
function expiresIn(seconds: number, startedAt: number): string {
  const at = Math.floor(wallClock.at(startedAt) / 1000) + seconds;
  if (at !== lastExpires.at) lastExpires = { at, text: new Date(at * 1000).toUTCString() };
  return lastExpires.text;
}
let lastExpires = { at: 0, text: '' };
const wallClock = new WallClock();

/**
 * Base64 of a photo costs more than the rest of the answer, so each rendition's answer is
 * kept as long as the rendition itself is; the photo cache counts it with the rendition
 * (rememberedAnswerBytes), so BRIDGE_CACHE_MAX_BYTES bounds both.
 */
const answeredBodies = new WeakMap<Rendition, Buffer>();

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
