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
 * side for a photo in its own shape) — it changes when the photo or the rendition does.
 */
export function photoEtag(photo: PhotoFingerprint, side: number, fit: PhotoFit): string {
  return `"${photo.sha256.slice(0, 32)}-${fit === 'square' ? `${side}x${side}` : side}"`;
}

/** Whether a rendition was made from this original (its ETag names the original's hash). */
export function isRenditionOf(rendition: Rendition, photo: PhotoFingerprint): boolean {
  return rendition.etag.startsWith(`"${photo.sha256.slice(0, 32)}-`);
}
