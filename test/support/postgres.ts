import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';

/**
 * One private PostgreSQL server for the whole test run — initdb into a temp folder,
 * pg_ctl on a free loopback port, never the system's cluster — started by the first
 * test file that asks and stopped when the process exits. Each caller gets a database
 * of its own on it, so test files never see each other's rows.
 */
let server: Promise<string> | undefined;

/**
 * A new, empty database on the shared test server; returns its connection URL. `settings`
 * (server parameters, e.g. shared_buffers) count only for the call that starts the server.
 */
export async function freshDatabase(settings: Record<string, string> = {}): Promise<string> {
  const base = await (server ??= startServer(settings));
  const name = `epb_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} STRATEGY FILE_COPY`);
  } finally {
    await admin.end();
  }
  return `${base}/${name}`;
}

async function startServer(settings: Record<string, string>): Promise<string> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'epb-pg-'));
  // PostgreSQL refuses to run as root (CI does run as root): then the server runs as the
  // package's postgres user, which must own its folder.
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' })));
    chownSync(dir, uid!, gid!);
  }
  const run = (tool: string, args: string[]) => {
    const command = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args];
    execFileSync(command[0]!, command.slice(1), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
  const port = await freePort();
  // Durability is not what these tests are about; without fsync the server starts and commits faster.
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
    ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
  ];
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options.join(' '), '-w', '-t', '30', 'start']);
  process.once('exit', () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return `postgres://postgres@127.0.0.1:${port}`;
}

/** A client tool (pg_dump, pg_restore) of the test server's version: beside the real pg_ctl, wherever PATH links that from. */
export function postgresTool(name: string): string {
  return join(dirname(realpathSync(join(postgresBinDir(), 'pg_ctl'))), name);
}

/** initdb and pg_ctl from PATH, else from Debian's versioned folder (the newest installed). */
function postgresBinDir(): string {
  const onPath = (process.env.PATH ?? '').split(delimiter).find((dir) => dir && existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'initdb')));
  if (onPath) return onPath;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL is not installed (no initdb/pg_ctl on PATH or under /usr/lib/postgresql); .ci/run installs the postgresql package');
  return join(root, newest, 'bin');
}
