import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { expect } from 'chai';
import { ConfigError } from '../../src/config.js';
import { userOwner } from '../../src/domain/photo-owner.js';
import { makeSelfSignedCertificate } from '../support/self-signed.js';
import { envelope } from '../support/soap.js';
import { samplePhoto } from '../support/sample-images.js';
import { basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** A self-signed certificate for 127.0.0.1 with this common name, as server.key and server.pem in `dir`. */
function makeCertificate(dir: string, commonName: string): void {
  makeSelfSignedCertificate(dir, { name: 'server', commonName, altNames: 'IP:127.0.0.1' });
}

interface Answer {
  status: number;
  body: string;
  certificate: PeerCertificate;
}

/** One request on a new connection (no agent), trusting only the certificate now in `dir`. */
function fetchOverTls(port: number, dir: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, headers, ca: readFileSync(join(dir, 'server.pem')), agent: false }, (res) => {
      const certificate = (res.socket as TLSSocket).getPeerCertificate();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, certificate }));
    });
    req.on('error', reject);
  });
}

describe('built-in TLS (BRIDGE_TLS_CERT_FILE, BRIDGE_TLS_KEY_FILE)', () => {
  let dir: string;
  let t: TestBridge;
  let port: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'epb-tls-'));
    makeCertificate(dir, 'first certificate');
    t = await startTestBridge({ BRIDGE_TLS_CERT_FILE: join(dir, 'server.pem'), BRIDGE_TLS_KEY_FILE: join(dir, 'server.key') });
    port = (await t.bridge.listen()).port;
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS, and advertises https:// in the WSDL without any proxy setting', async () => {
    const health = await fetchOverTls(port, dir, '/healthz');
    expect(health).to.include({ status: 200, body: 'ok\n' });
    expect(health.certificate.subject.CN).to.equal('first certificate');
    const wsdl = await fetchOverTls(port, dir, '/EWS/Exchange.asmx?wsdl', { authorization: basic(READER), host: `127.0.0.1:${port}` });
    expect(wsdl.body).to.include(`<soap:address location="https://127.0.0.1:${port}/EWS/Exchange.asmx"`);
  });

  it('answers a SOAP request over HTTPS, its body sent whole or in pieces', async () => {
    await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(200, 200), 'test');
    const body = envelope('<m:GetUserPhoto><m:Email>alex.wilber@contoso.com</m:Email><m:SizeRequested>HR64x64</m:SizeRequested></m:GetUserPhoto>');
    for (const pieces of [[body], body.match(/[\s\S]{1,50}/g)!]) {
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/EWS/Exchange.asmx', method: 'POST', ca: readFileSync(join(dir, 'server.pem')), agent: false },
          (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.setHeader('authorization', basic(READER));
        req.setHeader('content-type', 'text/xml; charset=utf-8');
        for (const piece of pieces) req.write(piece);
        req.end();
      });
      expect(answer.status, `${pieces.length} pieces`).to.equal(200);
      expect(answer.text, `${pieces.length} pieces`).to.match(/<m:PictureData>[A-Za-z0-9+/=]{100,}<\/m:PictureData>/);
    }
  });

  it('takes up a renewed certificate on reload (SIGHUP) for new connections', async () => {
    makeCertificate(dir, 'renewed certificate');
    t.bridge.reloadTls();
    const after = await fetchOverTls(port, dir, '/healthz');
    expect(after.certificate.subject.CN).to.equal('renewed certificate');
  });

  it('keeps the certificate it has when the new files do not load', async () => {
    const [goodCert, goodKey] = [readFileSync(join(dir, 'server.pem')), readFileSync(join(dir, 'server.key'))];
    makeCertificate(dir, 'mismatched certificate');
    // A key that does not belong to the certificate: the reload must fail and change nothing.
    writeFileSync(join(dir, 'server.key'), goodKey);
    expect(() => t.bridge.reloadTls()).to.throw();
    writeFileSync(join(dir, 'server.pem'), goodCert);
    expect((await fetchOverTls(port, dir, '/healthz')).certificate.subject.CN).to.equal('renewed certificate');
  });

  it('refuses a certificate without its key (or the other way round) before starting', async () => {
    try {
      await startTestBridge({ BRIDGE_TLS_CERT_FILE: join(dir, 'server.pem') });
      expect.fail('should have refused');
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).message).to.match(/set both/);
    }
  });
});
