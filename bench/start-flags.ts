import { readFileSync } from 'node:fs';

/**
 * The flags `npm start` gives node before `dist/cli.js` (package.json's start script): the
 * bench runs the bridge as it is deployed, and the systemd unit and the image run it alike
 * (test/deploy-flags.test.ts).
 */
export function startNodeFlags(): string[] {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  const words = packageJson.scripts.start.split(/\s+/);
  const script = words.indexOf('dist/cli.js');
  if (words[0] !== 'node' || script < 0) throw new Error(`npm start does not run node dist/cli.js: ${packageJson.scripts.start}`);
  return words.slice(1, script);
}
