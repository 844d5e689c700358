import { BridgeError } from '../domain/errors.js';

/** What the pipeline agrees to decode; everything else is refused before decoding. */
export interface ImageLimits {
  maxInputBytes: number;
  maxInputPixels: number;
  jpegQuality: number;
}

/** Formats libvips decodes that a person's photo plausibly arrives in. */
export const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'gif', 'webp', 'tiff', 'heif']);

export function imageLimitsOf(config: { maxUploadBytes: number; maxInputPixels: number; jpegQuality: number }): ImageLimits {
  return { maxInputBytes: config.maxUploadBytes, maxInputPixels: config.maxInputPixels, jpegQuality: config.jpegQuality };
}

export function tooManyPixels(width: number, height: number, maxInputPixels: number): BridgeError {
  return BridgeError.imageTooLarge(`image is ${width}×${height} pixels; the limit is ${maxInputPixels} pixels`);
}
