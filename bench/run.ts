/**
 * The bridge's benchmark: the hot photo URL against a bare node:http server, SOAP
 * GetUserPhoto, ResolveNames and GetItem, what a cache miss costs per size, and
 * single-flight. `npm run bench`; see bench/README.md.
 *
 * Exit status: 0 all good; 1 a correctness check failed or the run broke (the figures
 * mean nothing); 2 the figures are sound but a performance target was missed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sizeCodeOf } from '../src/domain/size-code.js';
import { photoLikeJpeg, prepareDatabase } from './fixture.js';
import { CLI, measureHttp, type HttpFigures } from './http.js';
import { measureColdRenders, measureSingleFlight, type ResizeFigures, type SingleFlightFigures } from './in-process.js';
import { medianRatio, type LoadFigures, type LoadSettings } from './load.js';
import { clientBoundNote, disturbanceWarning, renderLoadTable } from './load-table.js';
import { describeMachine, machineBusyPercent } from './machine.js';
import { fixed, renderTable } from './table.js';
import { loadSettingsOf, runBench, verdict, type Check } from './verdict.js';

/** Issue 8 §8: the cached REST photo, access log on, against bare node:http sending the same bytes. */
const TARGET_RATIO = 0.9;
const TARGET_SOAP_TO_REST = 0.9;
/** Issue 10 §7: OWA's, Graph's and the Outlook REST API's photo URLs share the REST URL's hot path. */
const TARGET_OTHER_URL_TO_REST = 0.9;
/** The bench contact's photo, about what an address book's vCard carries; ResolveNames returns it in full. */
const CONTACT_PHOTO_SIDE = 200;
const TARGET_P50_648_TO_96_MS = 15;
const RENDER_SAMPLES = 50;
const SINGLE_FLIGHT_CALLERS = 50;

interface Settings {
  load: LoadSettings;
  accessLog: boolean;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  return {
    load: loadSettingsOf(env),
    // Off only to see what the access log costs; the figures that count are with it on, the default.
    accessLog: !['false', '0', 'no'].includes(env.BENCH_ACCESS_LOG ?? 'true'),
  };
}

async function main(settings: Settings): Promise<number> {
  const busy = await machineBusyPercent();
  console.log(`machine: ${describeMachine()}; ${fixed(busy, 0)} % busy before the bench started; ${new Date().toISOString()}`);
  console.log(
    `load: ${settings.load.connections} connections, ${settings.load.warmupSeconds} s warm-up + ${settings.load.durationSeconds} s measured per target in ${settings.load.rounds} rounds, the targets in turn within each, every other round in reverse; bridge access log ${settings.accessLog ? 'on' : 'off'}\n`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'epb-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const original = await photoLikeJpeg(648);
  const databasePath = prepareDatabase(CLI, dir, original, await photoLikeJpeg(CONTACT_PHOTO_SIDE));

  // The in-process figures come first, while no server competes for the CPU.
  const renders = await measureColdRenders(original, RENDER_SAMPLES);
  const singleFlight = await measureSingleFlight(original, dir, SINGLE_FLIGHT_CALLERS);
  const http = await measureHttp({ dir, databasePath, accessLog: settings.accessLog, load: settings.load });

  printRenders(renders, http);
  printSingleFlight(singleFlight);
  printHttp(http);
  const checks = [...renderChecks(renders), singleFlightCheck(singleFlight), ...httpChecks(http)];
  return verdict(checks);
}

function renderChecks(renders: ResizeFigures[]): Check[] {
  const p50 = renders.find((r) => r.size === 96)!.p50Ms;
  return [{ what: `648→96 render p50 ≤ ${TARGET_P50_648_TO_96_MS} ms (is ${p50.toFixed(1)})`, ok: p50 <= TARGET_P50_648_TO_96_MS, kind: 'target' }];
}

function singleFlightCheck(figures: SingleFlightFigures): Check {
  return {
    what: `${figures.callers} concurrent misses: all served, 1 store lookup, 1 resize`,
    ok: figures.served === figures.callers && figures.storeLookups === 1 && figures.resizes === 1,
    kind: 'correctness',
  };
}

function httpChecks(http: HttpFigures): Check[] {
  const ratio = bridgeToBare(http);
  return [
    { what: '(a) bare: only 200s, no errors', ok: onlyStatus(http.bare, '200'), kind: 'correctness' },
    { what: '(d0) bare POST: only 200s, no errors', ok: onlyStatus(http.barePost, '200'), kind: 'correctness' },
    ...(http.nginx ? [{ what: '(a2) nginx: only 200s, no errors', ok: onlyStatus(http.nginx, '200'), kind: 'correctness' as const }] : []),
    { what: '(b) bridge: only 200s, no errors', ok: onlyStatus(http.bridge, '200'), kind: 'correctness' },
    { what: '(c) bridge with If-None-Match: only 304s, no errors', ok: onlyStatus(http.notModified, '304'), kind: 'correctness' },
    { what: 'first request of each other size: 200, right size', ok: [...http.cold.values()].every((f) => f.ok), kind: 'correctness' },
    { what: '(d) SOAP: only 200s, no errors', ok: onlyStatus(http.soap, '200'), kind: 'correctness' },
    { what: '(e) ResolveNames: only 200s, no errors', ok: onlyStatus(http.resolveNames, '200'), kind: 'correctness' },
    { what: '(f) GetItem: only 200s, no errors', ok: onlyStatus(http.getItem, '200'), kind: 'correctness' },
    { what: `REST/bare ≥ ${TARGET_RATIO} (is ${ratio.toFixed(2)})`, ok: ratio >= TARGET_RATIO, kind: 'target' },
    { what: `SOAP/REST ≥ ${TARGET_SOAP_TO_REST} (is ${soapToRest(http).toFixed(2)})`, ok: soapToRest(http) >= TARGET_SOAP_TO_REST, kind: 'target' },
    { what: '(g) OWA: only 200s, no errors', ok: onlyStatus(http.owa, '200'), kind: 'correctness' },
    { what: '(h) Graph: only 200s, no errors', ok: onlyStatus(http.graph, '200'), kind: 'correctness' },
    { what: '(i) Outlook REST: only 200s, no errors', ok: onlyStatus(http.outlook, '200'), kind: 'correctness' },
    ...otherUrlRatios(http).map(([name, ratio]) => ({
      what: `${name}/REST ≥ ${TARGET_OTHER_URL_TO_REST} (is ${ratio.toFixed(2)})`,
      ok: ratio >= TARGET_OTHER_URL_TO_REST,
      kind: 'target' as const,
    })),
  ];
}

function onlyStatus(figures: LoadFigures, status: string): boolean {
  const statuses = Object.keys(figures.statusCounts);
  return figures.errors === 0 && figures.responses > 0 && statuses.length === 1 && statuses[0] === status;
}

function bridgeToBare(http: HttpFigures): number {
  return medianRatio(http.bridge, http.bare);
}

function soapToRest(http: HttpFigures): number {
  return medianRatio(http.soap, http.bridge);
}

/** (g), (h) and (i) ÷ (b), in req/s. */
function otherUrlRatios(http: HttpFigures): [string, number][] {
  return [
    ['OWA', medianRatio(http.owa, http.bridge)],
    ['Graph', medianRatio(http.graph, http.bridge)],
    ['Outlook REST', medianRatio(http.outlook, http.bridge)],
  ];
}

function loadRuns(http: HttpFigures): LoadFigures[] {
  return [
    http.bare,
    ...(http.nginx ? [http.nginx] : []),
    http.bridge,
    http.notModified,
    http.barePost,
    http.soap,
    http.resolveNames,
    http.getItem,
    http.owa,
    http.graph,
    http.outlook,
  ];
}

function printRenders(renders: ResizeFigures[], http: HttpFigures): void {
  console.log(`Cold render per size: renderPhoto in process from the 648×648 original, ${RENDER_SAMPLES} renders each;`);
  console.log('HTTP cold = first request for that size through the running bridge (1 sample)');
  const rows = renders.map((r) => [
    `${sizeCodeOf(r.size)}${r.passThrough ? ' (original as is)' : ''}`,
    fixed(r.p50Ms, 2),
    fixed(r.p99Ms, 2),
    String(r.bytes),
    r.size === 96 ? `${fixed(http.first.ms, 1)} *` : fixed(http.cold.get(r.size)?.ms, 1),
  ]);
  console.log(renderTable(['size', 'p50 ms', 'p99 ms', 'bytes', 'HTTP cold ms'], rows));
  console.log('* the very first request, which also verifies the password (scrypt)');
}

function printSingleFlight(figures: SingleFlightFigures): void {
  console.log(`\nSingle-flight: ${figures.callers} concurrent photo() calls for one uncached photo and size`);
  const row = [figures.callers, figures.served, figures.storeLookups, figures.resizes].map(String);
  console.log(renderTable(['callers', 'served', 'storeLookups', 'resizes'], [row]));
}

function printHttp(http: HttpFigures): void {
  console.log('\nHTTP load (autocannon in this process, keep-alive; latency has 1 ms resolution)');
  console.log(renderLoadTable(loadRuns(http)));
  console.log(
    `ratios of req/s, each the median over the ${Math.ceil(http.bare.roundRequestsPerSecond.length / 2)} pairs of a round and its mirror of the two targets' same rounds:`,
  );
  console.log(`ratio REST/bare (req/s): ${bridgeToBare(http).toFixed(2)}  (target ≥ ${TARGET_RATIO})`);
  if (http.nginx) console.log(`ratio nginx/bare (req/s): ${medianRatio(http.nginx, http.bare).toFixed(2)}  (reference, no target)`);
  console.log(`ratio SOAP/REST (req/s): ${soapToRest(http).toFixed(2)}  (target ≥ ${TARGET_SOAP_TO_REST})`);
  console.log(
    `ratio bare POST/bare GET (req/s): ${medianRatio(http.barePost, http.bare).toFixed(2)}  (what reading a body costs node:http itself; SOAP/REST ≥ this means SOAP adds no more than REST does)`,
  );
  for (const [name, ratio] of otherUrlRatios(http)) console.log(`ratio ${name}/REST (req/s): ${ratio.toFixed(2)}  (target ≥ ${TARGET_OTHER_URL_TO_REST})`);
  const runs = loadRuns(http);
  for (const line of [disturbanceWarning(runs), clientBoundNote(runs)]) if (line) console.log(line);
}

const settings = readSettings(process.env);
runBench(() => main(settings), settings.load, 10);
