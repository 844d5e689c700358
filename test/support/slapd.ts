import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Attribute, Client } from 'ldapts';
import { freePort } from './free-port.js';

export const BASE_DN = 'dc=example,dc=com';
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
/** The service account a photo source binds as (not the directory manager). */
export const READER = { dn: `cn=photo-reader,${BASE_DN}`, password: 'reader secret' };
const MANAGER = { dn: `cn=manager,${BASE_DN}`, password: 'manager secret' };
/** A naming context where slapd refuses every bind (`restrict bind`) as unwillingToPerform (53), "operation restricted". */
export const BINDS_RESTRICTED_DN = 'dc=binds-restricted,dc=example,dc=org';

// OpenLDAP's schemas lack the Active Directory attributes the bridge reads. These are
// defined as AD defines them (thumbnailPhoto is an octet string, proxyAddresses a
// case-insensitive multi-valued string), under OpenLDAP's experimental OID arc.
const AD_SCHEMA = `
attributetype ( 1.3.6.1.4.1.4203.666.11.1 NAME 'thumbnailPhoto'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.11.2 NAME 'proxyAddresses'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.4203.666.11.3 NAME 'company'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.11.4 NAME 'department'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.11.5 NAME 'msRTCSIP-PrimaryUserAddress'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.11.6 NAME 'mailNickname'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.11.7 NAME 'userPrincipalName'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.11.8 NAME 'msExchHideFromAddressLists'
  EQUALITY booleanMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.7 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.4203.666.11.100 NAME 'adUser' AUXILIARY
  MAY ( thumbnailPhoto $ proxyAddresses $ company $ department $ msRTCSIP-PrimaryUserAddress $ mailNickname $ userPrincipalName $
    msExchHideFromAddressLists ) )
`;

type EntryAttributes = Record<string, string | string[] | Buffer>;

export interface Slapd {
  /** Plain LDAP (StartTLS offered). */
  url: string;
  /** LDAP over TLS, with a certificate signed by `caFile`. */
  ldapsUrl: string;
  caFile: string;
  add(dn: string, attributes: EntryAttributes): Promise<void>;
  /** Search operations slapd has taken since it started, not counting this helper's own. */
  searches(): Promise<number>;
  /** Ends the server (the data stays), as an outage would. */
  stop(): Promise<void>;
  /** Starts it again on the same ports. */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP), as a hung directory: the kernel still takes connections, nothing answers them. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  /** Stops it for good and deletes its files. */
  dispose(): Promise<void>;
}

/**
 * A private slapd for one test file: its own directory, config, schema, TLS certificate
 * and loopback ports, never the system's slapd. Holds `dc=example,dc=com` with
 * `ou=people` and a read-only service account; cn=monitor counts its operations. Like
 * a production directory it caps what one search returns to a bound user — at 3
 * entries, and pages at 3 — so that tests see the caps and the paging at work.
 */
export async function startSlapd(): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'epb-slapd-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'ad-photo.schema'), AD_SCHEMA);
  const caFile = makeCertificates(dir);
  const [port, tlsPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'slapd.conf'), slapdConf(dir));
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`;
  let running: ChildProcess | undefined;
  let ownSearches = 0;

  const asManager = async <T>(work: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ url, timeout: 5000 });
    try {
      await client.bind(MANAGER.dn, MANAGER.password);
      return await work(client);
    } finally {
      await client.unbind();
    }
  };

  const start = async () => {
    const child = spawn(slapdBinary(), ['-f', join(dir, 'slapd.conf'), '-h', `${url}/ ${ldapsUrl}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    running = child;
    ownSearches = 0;
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}: ${stderr}`);
      try {
        await asManager(() => Promise.resolve(undefined));
        return;
      } catch (error) {
        if (attempt > 200) throw new Error(`slapd did not answer on ${url}: ${(error as Error).message}\n${stderr}`, { cause: error });
        await sleep(25);
      }
    }
  };

  const stop = async () => {
    const child = running;
    running = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };

  await start();
  await asManager(async (client) => {
    await client.add(BASE_DN, { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' });
    await client.add(PEOPLE_DN, { objectClass: 'organizationalUnit', ou: 'people' });
    await client.add(READER.dn, { objectClass: ['organizationalRole', 'simpleSecurityObject'], cn: 'photo-reader', userPassword: READER.password });
  });

  return {
    url,
    ldapsUrl,
    caFile,
    add: (dn, attributes) =>
      asManager((client) =>
        client.add(
          dn,
          Object.entries(attributes).map(([type, value]) => new Attribute({ type, values: Buffer.isBuffer(value) ? [value] : ([] as string[]).concat(value) })),
        ),
      ),
    async searches() {
      ownSearches++;
      const initiated = await asManager(async (client) => {
        const { searchEntries } = await client.search('cn=Search,cn=Operations,cn=Monitor', { scope: 'base', attributes: ['monitorOpInitiated'] });
        return Number(searchEntries[0]?.monitorOpInitiated);
      });
      // Initiated rather than completed: slapd counts completion only after it has answered.
      return initiated - ownSearches;
    },
    stop,
    start,
    pause: () => running?.kill('SIGSTOP'),
    resume: () => running?.kill('SIGCONT'),
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function slapdConf(dir: string): string {
  return `
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include ${dir}/ad-photo.schema
pidfile ${dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload back_monitor
moduleload back_null
TLSCACertificateFile ${dir}/ca.pem
TLSCertificateFile ${dir}/server.pem
TLSCertificateKeyFile ${dir}/server.key
# As a domain controller refers a name outside its own naming contexts (another domain of the forest) to a server that holds it.
referral ldap://dc2.child.example.org/

database mdb
suffix "${BASE_DN}"
rootdn "${MANAGER.dn}"
rootpw "${MANAGER.password}"
directory ${dir}/data
maxsize 104857600
limits users size.soft=3 size.hard=3 size.pr=3 size.prtotal=unlimited
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none

database null
suffix "${BINDS_RESTRICTED_DN}"
restrict bind

database monitor
access to * by dn.exact="${MANAGER.dn}" read by * none
`;
}

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it; returns the CA file. */
function makeCertificates(dir: string): string {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/CN=bridge test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ]);
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'server.key',
    '-out',
    'server.pem',
    '-subj',
    '/CN=127.0.0.1',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-addext',
    'basicConstraints=CA:FALSE',
  ]);
  return join(dir, 'ca.pem');
}

function slapdBinary(): string {
  return ['/usr/sbin/slapd', '/usr/local/libexec/slapd'].find((path) => existsSync(path)) ?? 'slapd';
}
