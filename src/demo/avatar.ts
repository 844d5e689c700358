import sharp from 'sharp';

const PALETTE = ['#0078d4', '#8764b8', '#038387', '#ca5010', '#498205', '#c239b3', '#986f0b', '#4f6bed', '#e3008c', '#00b7c3', '#69797e', '#d13438'];

/**
 * A generated portrait — a silhouette on a coloured ground — so the demo needs no
 * downloaded images and no fonts. `seed` picks the colours and the pose.
 */
export async function renderAvatar(seed: number, size: number): Promise<Buffer> {
  const ground = PALETTE[seed % PALETTE.length]!;
  const figure = PALETTE[(seed * 5 + 3) % PALETTE.length]!;
  const tilt = ((seed * 7) % 9) - 4;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="${ground}"/><stop offset="1" stop-color="#ffffff" stop-opacity="0.35"/>
  </linearGradient></defs>
  <rect width="100" height="100" fill="${ground}"/><rect width="100" height="100" fill="url(#g)"/>
  <g transform="rotate(${tilt} 50 60)">
    <ellipse cx="50" cy="98" rx="34" ry="30" fill="${figure}"/>
    <circle cx="50" cy="42" r="19" fill="#f3d2b3"/>
    <path d="M31 40 Q50 ${14 + (seed % 4) * 2} 69 40 Q66 28 50 24 Q34 28 31 40Z" fill="#3b2a20"/>
  </g>
</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
