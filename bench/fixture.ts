import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from './seeded-random.js';

export const BENCH_USER = { email: 'bench.user@example.com', password: 'bench password' };
/** A contact in the bench user's own Contacts folder, with a photo, for ResolveNames and GetItem. */
export const BENCH_CONTACT = { displayName: 'Bench Contact', email: 'bench.contact@fabrikam.example' };
export const BASIC_AUTHORIZATION = `Basic ${Buffer.from(`${BENCH_USER.email}:${BENCH_USER.password}`).toString('base64')}`;

/**
 * The environment of the bench's bridge processes: the caller's minus every BRIDGE_*
 * setting, so a developer's shell cannot quietly change what is measured.
 */
export function benchEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('BRIDGE_'));
  return { ...Object.fromEntries(inherited), ...settings };
}

/**
 * Builds the bridge's database in `dir` the way an operator would, through the CLI:
 * one directory user with `photo`, a login, and one contact of that login's with
 * `contactPhoto` (from a vCard). Returns the database path. With `storeEnv` naming a
 * PostgreSQL database (BRIDGE_DATABASE_URL) the CLI builds it there instead, and no file is made.
 */
export function prepareDatabase(cliPath: string, dir: string, photo: Buffer, contactPhoto: Buffer, storeEnv: Record<string, string> = {}): string {
  const databasePath = join(dir, 'bridge.db');
  const usersPath = join(dir, 'users.csv');
  const photoPath = join(dir, 'photo.jpg');
  const contactsPath = join(dir, 'contacts.vcf');
  writeFileSync(usersPath, `email,displayName\n${BENCH_USER.email},Bench User\n`);
  writeFileSync(photoPath, photo);
  writeFileSync(contactsPath, benchContactCard(contactPhoto));

  const cli = (args: string[], input?: string) =>
    execFileSync(process.execPath, [cliPath, '--db', databasePath, ...args], {
      env: benchEnv(storeEnv),
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  cli(['import', usersPath]);
  cli(['photo', 'set', BENCH_USER.email, photoPath]);
  cli(['account', 'add', BENCH_USER.email, '--role', 'user', '--password-stdin'], `${BENCH_USER.password}\n`);
  cli(['contacts', 'import', BENCH_USER.email, contactsPath]);
  return databasePath;
}

/** A vCard 3.0 as address books export them: lines folded at 75 octets, the photo embedded. */
function benchContactCard(photo: Buffer): string {
  const [givenName, surname] = BENCH_CONTACT.displayName.split(' ');
  const lines = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `N:${surname};${givenName};;;`,
    `FN:${BENCH_CONTACT.displayName}`,
    'ORG:Fabrikam',
    'TITLE:Buyer',
    `EMAIL;TYPE=INTERNET,WORK:${BENCH_CONTACT.email}`,
    'TEL;TYPE=WORK,VOICE:+1 425 555 0100',
    `PHOTO;ENCODING=b;TYPE=JPEG:${photo.toString('base64')}`,
    'END:VCARD',
  ];
  return `${lines.map((line) => line.match(/.{1,74}/g)!.join('\r\n ')).join('\r\n')}\r\n`;
}

/**
 * A JPEG that compresses and resizes like a portrait rather than a flat test card:
 * smooth gradients and soft shapes with sensor-like noise. Seeded, so every run
 * measures the same bytes.
 */
export async function photoLikeJpeg(side: number, seed = 648): Promise<Buffer> {
  const random = seededRandom(seed);
  const noise = () => (random() + random() - 1) * 14;
  const pixels = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const u = x / side;
      const v = y / side;
      const shape = 0.5 + 0.5 * Math.sin(u * 7 + 2 * Math.cos(v * 5));
      const at = (y * side + x) * 3;
      pixels[at] = clampByte(60 + 150 * u + 40 * shape + noise());
      pixels[at + 1] = clampByte(40 + 120 * v + 60 * shape + noise());
      pixels[at + 2] = clampByte(180 - 100 * u * v + 30 * shape + noise());
    }
  }
  return sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

function clampByte(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}
