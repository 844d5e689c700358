// Draws the icons manifest.xml names (a person on the bridge's blue), one PNG per size.
// Run from the repository root after changing the drawing: node examples/outlook-addin/make-icons.mjs
import sharp from 'sharp';

const SIZES = [16, 32, 64, 80, 128];
const drawing = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <rect width="64" height="64" rx="12" fill="#0f6cbd"/>
  <circle cx="32" cy="25" r="11" fill="#fff"/>
  <path d="M12 56c2-12 10-18 20-18s18 6 20 18z" fill="#fff"/>
</svg>`;

for (const size of SIZES) {
  await sharp(Buffer.from(drawing), { density: 72 * (size / 64) * 4 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(new URL(`icon-${size}.png`, import.meta.url).pathname);
}
