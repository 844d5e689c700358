import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import pg from 'pg';
import sharp from 'sharp';
import { eventually } from './support/eventually.js';
import { freshDatabase } from './support/postgres.js';
import { samplePhoto } from './support/sample-images.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const DEMO_AUTH = `Basic ${Buffer.from('adele.vance@contoso.example:demo').toString('base64')}`;

interface Running {
  child: ChildProcessWithoutNullStreams;
  base: string;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Starts `ews-photo-bridge serve` as its own process and waits for its banner. */
async function startServe(db: string | undefined, args: string[] = [], env: Record<string, string> = {}): Promise<Running> {
  const store = db === undefined ? [] : ['--db', db];
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...store, 'serve', '--port', '0', ...args], {
    env: { ...process.env, BRIDGE_HOST: '127.0.0.1', ...env },
  });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${stderr}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  return { child, base, stderr: () => stderr, stdout: () => stdout, exited };
}

/**
 * Resolves once the bridge logs that SIGTERM has begun its shutdown; fails if it exits
 * without saying so. Its log goes out in batches, after the signal handler has stopped taking
 * connections, so the line also says that has happened.
 */
function shuttingDown(running: Running): Promise<void> {
  return new Promise((resolve, reject) => {
    const look = () => {
      if (/"msg":"shutting down: finishing in-flight requests"/.test(running.stdout())) resolve();
    };
    running.child.stdout.on('data', look);
    look();
    void running.exited.then((code) => reject(new Error(`exited with ${code} before saying it was shutting down`)));
  });
}

/** A server's refusal of a connection: its ErrorResponse with a SQLSTATE and words, as PostgreSQL sends one. */
function refusalAnswer({ code, words }: Refusal): Buffer {
  const fields = ['SFATAL', 'VFATAL', `C${code}`, `M${words}`].map((field) => `${field}\0`).join('');
  const body = Buffer.from(`${fields}\0`);
  const header = Buffer.alloc(5);
  header.write('E');
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

interface Refusal {
  code: string;
  words: string;
}
/**
 * What a PostgreSQL server that is still starting says to a client, as its first and only
 * message: an ErrorResponse with SQLSTATE 57P03, then it closes the connection.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html (ErrorResponse)
 */
const STARTING_UP: Refusal = { code: '57P03', words: 'the database system is starting up' };
const OUT_OF_CONNECTIONS: Refusal = { code: '53300', words: 'sorry, too many clients already' };

/**
 * A TCP relay in front of the test PostgreSQL server whose first `startingUp` connections
 * are refused as a server still starting refuses them (or as `refusal` says); it counts the
 * connections it took.
 */
async function startingDatabase(
  url: string,
  startingUp: number,
  refusal = STARTING_UP,
): Promise<{ url: string; connections: () => number; close: () => void }> {
  const target = new URL(url);
  let connections = 0;
  const relay = createServer((client) => {
    connections++;
    if (connections <= startingUp) {
      client.once('data', () => client.end(refusalAnswer(refusal)));
      return;
    }
    const server = connect(Number(target.port), target.hostname);
    client.pipe(server).pipe(client);
    for (const end of [client, server]) end.on('error', () => [client, server].forEach((socket) => socket.destroy()));
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const relayed = new URL(url);
  relayed.port = String((relay.address() as AddressInfo).port);
  return { url: relayed.toString(), connections: () => connections, close: () => relay.close() };
}

/** What `serve` logs when its first `refused` connections to PostgreSQL are refused so, and it is ready (/readyz 200) once they are not. */
async function readyAfterRefusals(refused: number, refusal: Refusal): Promise<string> {
  const database = await startingDatabase(await freshDatabase(), refused, refusal);
  try {
    const running = await startServe(undefined, [], { BRIDGE_DATABASE_URL: database.url });
    try {
      expect((await fetch(`${running.base}/readyz`)).status).to.equal(200);
    } finally {
      running.child.kill('SIGTERM');
      expect(await running.exited).to.equal(0);
    }
    return running.stdout();
  } finally {
    database.close();
  }
}

describe('ews-photo-bridge serve (as its own process)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'epb-serve-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('seeds a demo directory into an empty database, prints how to log in, and serves its photos', async () => {
    const running = await startServe(join(dir, 'demo.db'));
    try {
      expect(running.stderr()).to.match(/demo login: +adele\.vance@contoso\.example +password: demo/);
      const auth = `Basic ${Buffer.from('adele.vance@contoso.example:demo').toString('base64')}`;
      const photo = await fetch(`${running.base}/ews/exchange.asmx/s/GetUserPhoto?email=alex.wilber@contoso.example&size=HR96x96`, {
        headers: { authorization: auth },
      });
      expect(photo.status).to.equal(200);
      const meta = await sharp(Buffer.from(await photo.arrayBuffer())).metadata();
      expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 96, 96]);
      const none = await fetch(`${running.base}/ews/exchange.asmx/s/GetUserPhoto?email=megan.bowen@contoso.example&size=HR96x96`, {
        headers: { authorization: auth },
      });
      expect(none.status).to.equal(404);
      expect((await fetch(`${running.base}/readyz`)).status).to.equal(200);
      const contact = await fetch(`${running.base}/api/people/photo?name=Patti&size=HR64x64`, { headers: { authorization: auth } });
      expect(contact.status, 'the demo login has contacts with photos').to.equal(200);
    } finally {
      running.child.kill('SIGTERM');
      expect(await running.exited).to.equal(0);
    }
    expect(running.stdout()).to.match(/"msg":"stopped"/);
    expect(running.stdout()).to.match(/"from":0,"to":\d+,"msg":"database schema created"/);
    expect(running.stdout()).to.not.match(/demo"|Basic /);
  });

  it('goes on serving after SIGHUP without built-in TLS (systemctl reload), where it exited', async () => {
    const running = await startServe(join(dir, 'reload.db'), ['--no-demo']);
    try {
      const answered = new Promise<string>((resolve) => {
        running.child.stdout.on('data', () => {
          if (/SIGHUP: nothing to reload/.test(running.stdout())) resolve('logged');
        });
        void running.exited.then((code) => resolve(`exited with ${code}`));
      });
      running.child.kill('SIGHUP');
      expect(await answered).to.equal('logged');
      expect((await fetch(`${running.base}/healthz`)).status).to.equal(200);
    } finally {
      running.child.kill('SIGTERM');
      expect(await running.exited).to.equal(0);
    }
  });

  it('seeds no demo, and so no demo admin, into a store that has an account but no directory yet', async () => {
    const db = join(dir, 'accounts-only.db');
    const made = spawn(process.execPath, ['--import', 'tsx', CLI, '--db', db, 'account', 'add', 'ops@corp.example', '--role', 'admin'], { env: process.env });
    expect(await new Promise((resolve) => made.once('exit', resolve))).to.equal(0);
    const running = await startServe(db);
    try {
      expect(running.stderr()).to.not.match(/demo login/);
      const demo = await fetch(`${running.base}/api/me`, {
        headers: { authorization: `Basic ${Buffer.from('adele.vance@contoso.example:demo').toString('base64')}` },
      });
      expect(demo.status).to.equal(401);
    } finally {
      running.child.kill('SIGTERM');
      expect(await running.exited).to.equal(0);
    }
  });

  it('leaves the database empty with --no-demo and says how to make an account; names a BRIDGE_ variable that is no setting', async () => {
    const running = await startServe(join(dir, 'empty.db'), ['--no-demo'], { BRIDGE_ANONYMUS_READ: 'true' });
    running.child.kill('SIGTERM');
    expect(await running.exited).to.equal(0);
    expect(running.stdout()).to.match(/"level":40,.*BRIDGE_ANONYMUS_READ is not a setting of the bridge/);
    expect(running.stderr()).to.match(/account add/);
    expect(running.stderr()).to.not.match(/demo login|contoso\.example/);
    expect(running.stderr()).to.match(/email=SOMEONE@YOUR\.DOMAIN&/);
  });

  it('points people at the public URL behind a proxy, and says where it listens', async () => {
    const running = await startServe(join(dir, 'public.db'), ['--no-demo'], { BRIDGE_PUBLIC_URL: 'https://photos.contoso.example/' });
    running.child.kill('SIGTERM');
    expect(await running.exited).to.equal(0);
    expect(running.base).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(running.stderr()).to.match(/directory: +https:\/\/photos\.contoso\.example\/ /);
    expect(running.stderr()).to.include("'https://photos.contoso.example/ews/exchange.asmx/s/GetUserPhoto?");
  });

  it('on SIGTERM finishes the request in flight, then closes the database and exits 0', async () => {
    const db = join(dir, 'demo.db');
    const running = await startServe(db);
    const image = await samplePhoto(300, 300);
    const { port } = new URL(running.base);
    const response = new Promise<number>((resolve, reject) => {
      const upload = httpRequest(
        {
          port,
          host: '127.0.0.1',
          method: 'PUT',
          path: '/admin/users/megan.bowen@contoso.example/photo',
          headers: {
            authorization: `Basic ${Buffer.from('adele.vance@contoso.example:demo').toString('base64')}`,
            'content-length': image.length,
            expect: '100-continue',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      upload.on('error', reject);
      // The bridge sends 100 Continue once the upload is logged in and admitted (read-body.ts):
      // part of the body then, SIGTERM, the rest once the bridge says it is shutting down. The
      // upload is in flight during shutdown.
      upload.once('continue', () => {
        upload.write(image.subarray(0, 1000));
        running.child.kill('SIGTERM');
        shuttingDown(running).then(() => upload.end(image.subarray(1000)), reject);
      });
    });
    expect(await response).to.equal(200);
    expect(await running.exited).to.equal(0);
    expect(existsSync(`${db}-wal`)).to.equal(false);
  });

  it('waits at start for a PostgreSQL server that is still starting, saying so, and serves once it is up; with no wait it exits', async () => {
    const stdout = await readyAfterRefusals(2, STARTING_UP);
    expect(stdout.match(/"msg":"the database cannot be reached yet; trying again"/g)).to.have.length(2);
    expect(stdout).to.include('(57P03: the database system is starting up)');
    const impatient = await startingDatabase(await freshDatabase(), 1);
    try {
      const refused = await startServe(undefined, [], { BRIDGE_DATABASE_URL: impatient.url, BRIDGE_DATABASE_START_WAIT_MS: '0' }).then(
        () => 'started',
        (error: Error) => error.message,
      );
      expect(refused).to.match(/exited with 1: .*cannot reach the database at .*the database system is starting up/s);
      expect(impatient.connections()).to.equal(1);
    } finally {
      impatient.close();
    }
  });

  it('waits at start for a PostgreSQL server with no connection to spare (53300), saying so, and serves once one is free', async () => {
    const stdout = await readyAfterRefusals(1, OUT_OF_CONNECTIONS);
    expect(stdout.match(/"msg":"the database cannot be reached yet; trying again"/g)).to.have.length(1);
    expect(stdout).to.include('has no connection to spare (sorry, too many clients already); raise max_connections');
  });

  it('logs one error line, not one a request, when the PostgreSQL schema goes back under it (a dump of an older bridge restored), and is not ready', async () => {
    const url = await freshDatabase();
    const running = await startServe(undefined, ['--no-demo'], { BRIDGE_DATABASE_URL: url });
    try {
      const ready = async () => (await fetch(`${running.base}/readyz`)).status;
      expect(await ready()).to.equal(200);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('DELETE FROM schema_migrations WHERE version > 23').finally(() => client.end());
      expect([await ready(), await ready(), await ready()]).to.deep.equal([503, 503, 503]);
      const told = () => running.stdout().match(/went back to schema version 23 while the bridge ran .*; \/readyz is 503 meanwhile"/g) ?? [];
      await eventually('the line is written', () => told().length > 0);
      expect(told()).to.have.length(1);
    } finally {
      running.child.kill('SIGKILL');
    }
  });

  describe('past the shutdown grace, on PostgreSQL', () => {
    /** Undone after each test, even one that timed out: a backend left stopped would hold the test server. */
    const undo: (() => unknown)[] = [];
    afterEach(async () => {
      for (const step of undo.splice(0).reverse()) await step();
    });

    it('abandons a statement the server cannot finish (its backend stopped, behind a lock): the request is 499, and it exits 0, logging no fault', async () => {
      const url = await freshDatabase();
      // The query timeout is long: an exit before it comes, the backend still stopped, is the store's abandoning the statement.
      const running = await startServe(undefined, [], {
        BRIDGE_DATABASE_URL: url,
        BRIDGE_SHUTDOWN_GRACE_MS: '500',
        BRIDGE_DATABASE_QUERY_TIMEOUT_MS: '600000',
        BRIDGE_STORE_BUSY_TIMEOUT_MS: '60000',
      });
      undo.push(() => running.child.kill('SIGKILL'));
      const locker = new pg.Client({ connectionString: url });
      await locker.connect();
      undo.push(() => locker.end());
      // A lock the search waits behind shows it in flight (pg_stat_activity); its backend then
      // stopped, the statement can end no other way than by the bridge abandoning it.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE users, contacts IN ACCESS EXCLUSIVE MODE');
      const search = fetch(`${running.base}/api/people?q=zz`, { headers: { authorization: DEMO_AUTH } }).then(
        (res) => `HTTP ${res.status}`,
        () => 'cut',
      );
      const bridgeBackends = async (where = '') =>
        (
          await locker.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ews-photo-bridge' ${where}`,
          )
        ).rows.map((row) => row.pid);
      await eventually('the search waits for the lock', async () => (await bridgeBackends("AND wait_event_type = 'Lock'")).length > 0);
      for (const pid of await bridgeBackends()) {
        process.kill(pid, 'SIGSTOP');
        undo.push(() => process.kill(pid, 'SIGCONT'));
      }
      running.child.kill('SIGTERM');
      expect(await running.exited).to.equal(0);
      expect(await search).to.equal('cut');
      // The process has exited; what it wrote last may still be on its way through the pipe.
      await eventually('its last line is read', () => running.stdout().endsWith('"msg":"stopped"}\n'));
      const lines = running
        .stdout()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { level: number; msg: string; path?: string; status?: number });
      expect(lines.filter((line) => line.path === '/api/people').map((line) => line.status)).to.deep.equal([499]);
      expect(lines.filter((line) => line.level >= 50)).to.deep.equal([]);
    });
  });

  it('closes a request still unfinished when the shutdown grace runs out, and says so', async () => {
    const running = await startServe(join(dir, 'grace.db'), [], { BRIDGE_SHUTDOWN_GRACE_MS: '500' });
    const { port } = new URL(running.base);
    const cut = new Promise<string>((resolve) => {
      const upload = httpRequest({
        port,
        host: '127.0.0.1',
        method: 'PUT',
        path: '/admin/users/megan.bowen@contoso.example/photo',
        headers: {
          authorization: `Basic ${Buffer.from('adele.vance@contoso.example:demo').toString('base64')}`,
          'content-length': 100_000,
          expect: '100-continue',
        },
      });
      upload.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      upload.on('response', (res) => resolve(`HTTP ${res.statusCode}`));
      // A body that never finishes, begun at the 100 Continue: the upload is admitted by then.
      upload.once('continue', () => {
        upload.write(Buffer.alloc(1000));
        running.child.kill('SIGTERM');
      });
    });
    expect(await cut).to.equal('ECONNRESET');
    expect(await running.exited).to.equal(0);
    expect(running.stdout()).to.match(/"graceMs":500,"msg":"shutdown grace ran out: connections still busy were closed"/);
  });
});
