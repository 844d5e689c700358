import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { contentTypeOf, type BlankKind, type ImageType } from '../domain/image-conversion.js';
import { encodingTag, type Rendition } from '../domain/photo.js';
import { encodeAs } from './encode.js';
import { initialsOf } from './initials.js';
import { LETTER_HEIGHT, LETTER_WIDTH, letterPath } from './stroke-letters.js';

/**
 * Fluent UI's persona colours, each with a contrast of 4.5:1 or more against the white
 * initials (WCAG 2.2 1.4.3); Fluent's light cyan (#00b7c3, 2.45:1) is taken a shade darker.
 */
export const PERSONA_COLOURS = [
  '#0078d4',
  '#8764b8',
  '#038387',
  '#ca5010',
  '#498205',
  '#c239b3',
  '#986f0b',
  '#4f6bed',
  '#e3008c',
  '#0078a0',
  '#69797e',
  '#d13438',
  '#005b70',
  '#8e562e',
];
const ICON_GROUND = '#e1dfdd';
const ICON_FIGURE = '#8a8886';

/** What a placeholder is drawn for: every kind but Null (no image) and Default (another name for SrNoPhoto). */
type PlaceholderKind = Exclude<BlankKind, 'Null' | 'Default'>;

/** The same name always gets the same colour, whoever asks and wherever the bridge runs. */
export function placeholderColour(name: string): string {
  const digest = createHash('sha256').update(name.trim().toLowerCase()).digest();
  return PERSONA_COLOURS[digest.readUInt32BE(0) % PERSONA_COLOURS.length]!;
}

/**
 * What a placeholder shows: its kind, letters and ground colour. Names that give the same
 * look get the same drawing, so the drawing is made, cached and named by its look, not by
 * the name: a client asking the placeholders of thousands of unknown addresses gets a few
 * hundred drawings, not thousands of copies of them.
 */
interface PlaceholderLook {
  kind: PlaceholderKind;
  initials: string;
  ground: string;
}

export function placeholderLook(kind: PlaceholderKind, name: string): PlaceholderLook {
  if (kind === 'ClearPixel' || kind === 'GenericFileIcon') return { kind, initials: '', ground: kind === 'GenericFileIcon' ? ICON_GROUND : '' };
  return { kind, initials: initialsOf(name), ground: placeholderColour(name) };
}

/** A stable name of a look: cache keys and ETags are made from it. */
export function lookName({ kind, initials, ground }: PlaceholderLook): string {
  return kind === 'ClearPixel' || kind === 'GenericFileIcon'
    ? kind
    : `${kind}-${createHash('sha256').update(`${initials}\n${ground}`).digest('hex').slice(0, 16)}`;
}

/**
 * An image for a person without a photo: a square of `side` pixels (a single pixel for
 * ClearPixel). Its ETag names what it shows and its encoding, so it changes only when the drawing would.
 */
export async function renderPlaceholder(look: PlaceholderLook, side: number, type: ImageType, quality: number): Promise<Rendition> {
  const image =
    look.kind === 'ClearPixel'
      ? sharp({ create: { width: 1, height: 1, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      : sharp(Buffer.from(placeholderSvg(look, side)));
  const { data, info } = await encodeAs(image, type, quality).toBuffer({ resolveWithObject: true });
  return {
    bytes: data,
    contentType: contentTypeOf(type),
    width: info.width,
    height: info.height,
    etag: `"${lookName(look).toLowerCase()}-${info.width}-${type}${encodingTag(quality)}"`,
  };
}

function placeholderSvg({ kind, initials, ground }: PlaceholderLook, side: number): string {
  const figure = initials ? initialsSvg(initials) : silhouetteSvg(kind === 'GenericFileIcon' ? ICON_FIGURE : '#ffffff');
  const border = kind === 'SrNoPhotoWithBorder' ? '<rect x="3" y="3" width="94" height="94" fill="none" stroke="#ffffff" stroke-width="6"/>' : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}" viewBox="0 0 100 100"><rect width="100" height="100" fill="${ground}"/>${border}${figure}</svg>`;
}

/** One or two letters, a third of the square tall, centred. */
function initialsSvg(initials: string): string {
  const scale = 34 / LETTER_HEIGHT;
  const gap = 4.5;
  const width = initials.length * LETTER_WIDTH + (initials.length - 1) * gap;
  const left = 50 - (width * scale) / 2;
  const top = 50 - 17;
  const letters = [...initials].map((letter, index) => `<path transform="translate(${index * (LETTER_WIDTH + gap)} 0)" d="${letterPath(letter)}"/>`);
  return `<g transform="translate(${left} ${top}) scale(${scale})" fill="none" stroke="#ffffff" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round">${letters.join('')}</g>`;
}

/** Head and shoulders: the icon for "a person", with no letters to show. */
function silhouetteSvg(colour: string): string {
  return `<g fill="${colour}"><circle cx="50" cy="38" r="17"/><path d="M18 86 A32 30 0 0 1 82 86 Z"/></g>`;
}
