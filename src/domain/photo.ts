import type { ImageContentType } from './image-conversion.js';
import type { PhotoSize } from './size-code.js';

/** Every photo, whatever its source, is kept in this one normalised shape. */
export interface NormalizedPhoto {
  bytes: Buffer;
  contentType: 'image/jpeg';
  width: number;
  height: number;
  sha256: string;
}

export interface StoredPhoto extends NormalizedPhoto {
  source: string;
  updatedAt: string;
}

/** What is known about a photo without holding its bytes. */
export type PhotoFingerprint = Pick<StoredPhoto, 'sha256' | 'width' | 'height'>;

/** A stored photo's fingerprint, where it came from and when. */
export type StoredPhotoInfo = PhotoFingerprint & Pick<StoredPhoto, 'source' | 'updatedAt'>;

/** A photo at the size (and in the format) a client asked for, ready to send. */
export interface Rendition {
  bytes: Buffer;
  contentType: ImageContentType;
  width: number;
  height: number;
  etag: string;
  /** A placeholder drawn because the sources failed, not because the owner has no photo: no answer, so no cache may keep it. */
  sourcesFailed?: true;
}

/** A rendition's pixel dimensions, as a request may name them exactly (a Graph photo id such as `400X400`). */
export interface PixelDimensions {
  width: number;
  height: number;
}

/** Whether the rendition is the one a request names: any, unless it named exact dimensions. */
export function hasDimensions(rendition: PixelDimensions, named: PixelDimensions | undefined): boolean {
  return named === undefined || (rendition.width === named.width && rendition.height === named.height);
}

/** What a rendition is, told without its bytes (photo metadata). */
export type ServedRendition = Omit<Rendition, 'bytes'>;

/**
 * How a photo meets a size code. Exchange's size codes are squares ("HR48x48: 48 pixels
 * high and 48 pixels wide"), so photos are cropped to one; the directory thumbnail is the
 * exception Exchange documents as "not necessarily square" and keeps its own shape.
 */
export type PhotoFit = 'square' | 'own-shape';

/**
 * The side served for a requested size: of the square, or of the long side for a photo
 * kept in its own shape. Exchange never upscales, so an original smaller than asked gives
 * the largest it has ("largest available"): its short side as a square, else its long side.
 */
export function servedSide(photo: PhotoFingerprint, requested: PhotoSize, fit: PhotoFit): number {
  const available = fit === 'square' ? Math.min(photo.width, photo.height) : Math.max(photo.width, photo.height);
  return Math.min(requested, available);
}

/**
 * Strong ETag: the original's hash plus what was served (`96x96` for a square, the long
 * side for a photo in its own shape) and how it was encoded (encodingTag) — it changes
 * when the photo or the rendition's bytes do (RFC 9110 §8.8.1).
 */
export function photoEtag(photo: PhotoFingerprint, side: number, fit: PhotoFit, quality: number): string {
  return `"${photo.sha256.slice(0, 32)}-${fit === 'square' ? `${side}x${side}` : side}${encodingTag(quality)}"`;
}

/** The quality photos are encoded at unless the operator sets another (BRIDGE_JPEG_QUALITY). */
export const DEFAULT_PHOTO_QUALITY = 85;

/**
 * What an ETag says of the encoder's quality: nothing at the default, so the ETags clients
 * hold stay good; `-q70` at another, so a change of the setting, or replicas set apart,
 * never serve other bytes under an ETag a client holds (it got 304 for the old ones).
 */
export function encodingTag(quality: number): string {
  return quality === DEFAULT_PHOTO_QUALITY ? '' : `-q${quality}`;
}

/** Whether a rendition was made from this original (its ETag names the original's hash). */
export function isRenditionOf(rendition: Rendition, photo: PhotoFingerprint): boolean {
  return rendition.etag.startsWith(`"${photo.sha256.slice(0, 32)}-`);
}
