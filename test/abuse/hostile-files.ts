import { randomBytes } from 'node:crypto';
import sharp from 'sharp';

/**
 * Files an administrator may be handed to import, built once: the CLI tests and
 * `npm run abuse` (bench/abuse/) import the same bytes.
 */

/** A side whose noise JPEG (quality 95) is over 2.5 MB: its base64 is some 47,000 lines of 72. */
const LARGE_PHOTO_SIDE = 1600;

/** A photo that does not compress: random pixels. */
export function noiseJpeg(side = LARGE_PHOTO_SIDE): Promise<Buffer> {
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** One contact as Outlook exports it in vCard 2.1: its photo's base64 in lines of 72 after a blank, a blank line ending it. */
export function outlookVcardWithPhoto(displayName: string, photo: Buffer): string {
  const [given, surname] = displayName.split(' ');
  return [
    'BEGIN:VCARD',
    'VERSION:2.1',
    `N:${surname};${given}`,
    `FN:${displayName}`,
    'PHOTO;ENCODING=BASE64;TYPE=JPEG:',
    ...(photo.toString('base64').match(/.{1,72}/g) ?? []).map((part) => ` ${part}`),
    '',
    'END:VCARD',
    '',
  ].join('\r\n');
}
