/**
 * Instructions per answer (`npm run bench:instructions`): the bare node:http server and the
 * bridge, each under callgrind, sent the requests `npm run bench` sends them — the cached REST
 * photo and the bare GET, SOAP GetUserPhoto and the bare POST of its envelope. Only the main
 * thread is counted, and only while MEASURED requests are answered, on keep-alive connections
 * that WARM_UP requests opened and warmed: a new connection makes V8 deoptimise node's socket
 * code and compile it again, which put 50–70 k instructions into every "per answer" figure
 * measured from a cold start. So counted, two runs of one build agree within 1.5–3 %
 * whatever else the machine does, where the req/s ratios of `npm run bench` swing by 10 %:
 * this tells whether a change to the hot path did less work. Instructions are not time (the
 * bare server runs more of them a nanosecond), so the targets stay `npm run bench`'s.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawRequest } from '../test/abuse/raw-request.js';
import { flood } from './abuse/attack.js';
import { startChild, stopAllChildren, stopChild, type Child } from './children.js';
import { BASIC_AUTHORIZATION, photoLikeJpeg, prepareDatabase } from './fixture.js';
import { CLI, fetchPhoto, photoTarget, soapPhotoAnswer, startBareServer, startBridge, type Launch, type Running } from './http.js';
import { GET_USER_PHOTO, SOAP_HEADERS } from './soap.js';
import { renderTable } from './table.js';

/** Requests before counting starts: enough for V8 to optimise the whole path. */
const WARM_UP = 8_000;
/** Requests counted. */
const MEASURED = 2_000;
/** Keep-alive connections the requests share, each waiting for its answer before the next. */
const CONNECTIONS = 4;
/** A server starts some 50 times slower under callgrind. */
const START_TIMEOUT_MS = 180_000;
const EWS_PATH = '/EWS/Exchange.asmx';
/** Where each server under callgrind writes its counts. */
const outFiles = new WeakMap<Child, string>();

interface Request {
  path: string;
  headers: Record<string, string>;
  body?: string;
}

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  throw new Error("npm run bench:instructions needs valgrind and its callgrind_control (Debian's package valgrind)");
}
const dir = mkdtempSync(join(tmpdir(), 'epb-instructions-'));
try {
  const databasePath = prepareDatabase(CLI, dir, await photoLikeJpeg(648), await photoLikeJpeg(200));
  // The bare servers send the bridge's own answers, head and bytes, as in `npm run bench`.
  const reference = await startBridge({ databasePath, accessLog: true });
  const photo = await fetchPhoto(`${reference.base}${photoTarget(96)}`, 96);
  if (!photo.ok) throw new Error(`the bridge did not serve the bench photo:\n${reference.child.stderrTail()}`);
  const soap = await soapPhotoAnswer(`${reference.base}${EWS_PATH}`);
  await stopChild(reference.child);

  const get: Request = { path: photoTarget(96), headers: { authorization: BASIC_AUTHORIZATION } };
  const post: Request = { path: EWS_PATH, headers: SOAP_HEADERS, body: GET_USER_PHOTO };
  const launch = underCallgrind(dir);
  // Two at a time, one per core: callgrind runs a program on one thread.
  const [bareGet, rest] = await Promise.all([
    count(startBareServer(dir, 'photo', photo.bytes, photo.head, launch, START_TIMEOUT_MS), get),
    count(startBridge({ databasePath, accessLog: true }, launch, START_TIMEOUT_MS), get),
  ]);
  const [barePost, soapPhoto] = await Promise.all([
    count(startBareServer(dir, 'get-user-photo', soap.bytes, soap.head, launch, START_TIMEOUT_MS), post),
    count(startBridge({ databasePath, accessLog: true }, launch, START_TIMEOUT_MS), post),
  ]);

  const thousands = (instructions: number) => `${(instructions / 1000).toFixed(1)} k`;
  console.log(`instructions per answer, main thread, ${MEASURED} answers after ${WARM_UP} on the same ${CONNECTIONS} connections (callgrind)`);
  console.log(
    renderTable(
      ['target', 'instructions'],
      [
        ['(a) bare node:http GET', thousands(bareGet)],
        ['(b) bridge REST photo', thousands(rest)],
        ['(d0) bare node:http POST', thousands(barePost)],
        ['(d) bridge SOAP GetUserPhoto', thousands(soapPhoto)],
      ],
    ),
  );
  // Fewer instructions is faster: each ratio reads as the req/s ratio of the same name would if time followed instructions.
  console.log(
    `bare GET / REST: ${(bareGet / rest).toFixed(3)}   REST / SOAP: ${(rest / soapPhoto).toFixed(3)}   bare GET / bare POST: ${(bareGet / barePost).toFixed(3)}`,
  );
} finally {
  await stopAllChildren();
  rmSync(dir, { recursive: true, force: true });
}

/** Starts node under callgrind with counting off, one output file per server. */
function underCallgrind(outDir: string): Launch {
  let started = 0;
  return (name, nodeArgs, env) => {
    const outFile = join(outDir, `callgrind.${++started}.out`);
    const callgrind = ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${outFile}`];
    const child = startChild(name, [...callgrind, process.execPath, ...nodeArgs], env, 'valgrind');
    outFiles.set(child, outFile);
    return child;
  };
}

/** Warms the server up, counts the main thread's instructions over MEASURED answers, stops it: instructions per answer. */
async function count(starting: Promise<Running>, sent: Request): Promise<number> {
  const server = await starting;
  const pid = String(server.child.process.pid);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  try {
    await send(server.base, sent, agent, WARM_UP);
    execFileSync('callgrind_control', ['--instr=on', pid], { stdio: 'ignore' });
    await send(server.base, sent, agent, MEASURED);
    execFileSync('callgrind_control', ['--instr=off', pid], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['--dump', pid], { stdio: 'ignore' });
  } finally {
    agent.destroy();
    await stopChild(server.child);
  }
  // The dump just asked for is the first (.1) of the main thread (-01).
  const outFile = outFiles.get(server.child);
  const totals = /^totals:\s+(\d+)/m.exec(readFileSync(`${outFile}.1-01`, 'utf8'));
  if (!totals) throw new Error(`no totals in ${outFile}.1-01`);
  return Number(totals[1]) / MEASURED;
}

/** `total` requests over CONNECTIONS connections, each waiting for its answer; every answer must be a 200. */
async function send(base: string, sent: Request, agent: Agent, total: number): Promise<void> {
  const { statuses } = await flood(total, CONNECTIONS, () => rawRequest(`${base}${sent.path}`, { headers: sent.headers, body: sent.body, agent }));
  const refused = statuses.find((status) => status !== 200);
  if (refused !== undefined) throw new Error(`${sent.path} answered ${refused}`);
}
