import sharp from 'sharp';
import { normalizePhoto } from '/work/main/src/photos/normalize.ts';
import { samplePhoto, pngBomb } from '/work/main/test/support/sample-images.ts';
const limits = { maxInputBytes: 10*1024*1024, maxInputPixels: 40_000_000, jpegQuality: 85 };
async function tryIt(name: string, buf: Buffer) {
  try { const r = await normalizePhoto(buf, limits); const m = await sharp(r.bytes).metadata(); console.log(name, 'OK', r.width, r.height, m.format, m.space, m.channels, m.depth, !!m.exif, !!m.icc, m.orientation); }
  catch (e: any) { console.log(name, 'ERR', e.httpStatus, e.responseCode, e.message); }
}
const jpg = await samplePhoto(800, 600);
await tryIt('trunc', jpg.subarray(0, Math.floor(jpg.length/2)));
const big = await sharp({ create: { width: 800, height: 600, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 30 } } }).jpeg().toBuffer();
await tryIt('trunc-noise', big.subarray(0, Math.floor(big.length/2)));
const bomb = pngBomb(20000, 20000);
console.log('bomb bytes', bomb.length);
const r0 = process.memoryUsage().rss;
await tryIt('bomb', bomb);
console.log('rss growth MB', (process.memoryUsage().rss - r0)/1e6);
await tryIt('grey', await sharp({ create: { width: 100, height: 100, channels: 3, background: '#808080' } }).toColourspace('b-w').jpeg().toBuffer());
await tryIt('cmyk', await sharp(jpg).toColourspace('cmyk').jpeg().toBuffer());
console.log((await sharp(await sharp(jpg).toColourspace('cmyk').jpeg().toBuffer()).metadata()).space);
await tryIt('rgb16', await sharp(jpg).toColourspace('rgb16').png().toBuffer());
console.log((await sharp(await sharp(jpg).toColourspace('rgb16').png().toBuffer()).metadata()).depth);
await tryIt('orient', await sharp(await samplePhoto(200,100)).withMetadata({ orientation: 6 }).jpeg().toBuffer());
await tryIt('svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>'));
await tryIt('text', Buffer.from('hello world, not an image\n'));
await tryIt('gif', await sharp(jpg).gif().toBuffer());
await tryIt('webp', await sharp(jpg).webp().toBuffer());
await tryIt('tiff', await sharp(jpg).tiff().toBuffer());
await tryIt('avif', await sharp(jpg).avif().toBuffer());
