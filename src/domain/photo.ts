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
}

/**
 * The long side served for a requested size: Exchange never upscales, so a request
 * above the original's size gets the original ("largest available").
 */
export function servedLongSide(photo: PhotoFingerprint, requested: PhotoSize): number {
  return Math.min(requested, Math.max(photo.width, photo.height));
}

/** Strong ETag: the original's hash plus the size served — it changes when either does. */
export function photoEtag(photo: PhotoFingerprint, longSide: number): string {
  return `"${photo.sha256.slice(0, 32)}-${longSide}"`;
}
