import type { IncomingMessage, ServerResponse } from 'node:http';
import { expect } from 'chai';
import request from 'supertest';
import { userOwner } from '../../src/domain/photo-owner.js';
import { BATCH_MAX_ANSWER_BYTES, BATCH_MAX_REQUESTS } from '../../src/rest/graph-batch-route.js';
import { createLogger } from '../../src/logger.js';
import { graphSourceEntry, startGraphSimulator, type GraphSimulator } from '../simulators/graph.js';
import { startBridgeWithSources } from '../support/bridge-with-sources.js';
import { samplePhoto } from '../support/sample-images.js';
import { connectTo, listenOnLoopback, received } from '../support/raw-socket.js';
import { ADMIN, basic, READER, startTestBridge, type TestBridge } from '../support/test-bridge.js';

interface BatchAnswer {
  responses: { id: string; status: number; headers: Record<string, string>; body?: unknown }[];
}

describe('Graph JSON batching: POST /v1.0/$batch', () => {
  let t: TestBridge;

  before(async () => {
    t = await startTestBridge();
    await t.store.upsertUsers([
      { email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} },
      { email: READER.username, displayName: 'The Reader', refs: {} },
      { email: ADMIN.username, displayName: 'The Admin', refs: {} },
    ]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(300, 300), 'test');
    await t.bridge.photos.setPhoto(userOwner(READER.username), await samplePhoto(200, 200), 'test');
  });
  after(() => t.close());

  const batch = (body: unknown, authorization = basic(READER), version = 'v1.0') =>
    request(t.bridge.server).post(`/${version}/$batch`).set('Authorization', authorization).set('Content-Type', 'application/json').send(JSON.stringify(body));
  const get = (id: string, url: string, extra: Record<string, unknown> = {}) => ({ id, method: 'GET', url, ...extra });
  const byId = (res: request.Response) => new Map((res.body as BatchAnswer).responses.map((answer) => [answer.id, answer]));

  it('answers each request as it is answered alone: status, headers as Graph names them, JSON as JSON, a photo in base64', async () => {
    const res = await batch({
      requests: [
        get('1', '/users/alex.wilber@contoso.com/photos/96x96/$value'),
        get('2', 'users/alex.wilber@contoso.com/photo'),
        get('3', '/users/nobody@contoso.com/photo/$value'),
        { id: '4', method: 'PUT', url: '/me/photo/$value' },
        { id: '5', method: 'POST', url: '/me/photo', headers: { 'Content-Type': 'application/json' }, body: {} },
      ],
    }).expect(200);
    const answers = byId(res);
    const alone = await request(t.bridge.server)
      .get('/v1.0/users/alex.wilber@contoso.com/photos/96x96/$value')
      .set('Authorization', basic(READER))
      .buffer(true)
      .parse((answer, done) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(answers.get('1')).to.deep.include({ status: 200, body: (alone.body as Buffer).toString('base64') });
    expect(answers.get('1')!.headers).to.deep.include({ 'Content-Type': 'image/jpeg', ETag: alone.headers.etag });
    expect(answers.get('2')!.status).to.equal(200);
    expect(answers.get('2')!.body).to.deep.include({ id: '300X300', width: 300 });
    expect([answers.get('3')!.status, (answers.get('3')!.body as { error: { code: string } }).error.code]).to.deep.equal([404, 'Request_ResourceNotFound']);
    expect([answers.get('4')!.status, (answers.get('4')!.body as { error: { code: string } }).error.code]).to.deep.equal([405, 'Request_BadRequest']);
    // As a 405 alone: Allow (the methods of the path's a batch takes) and OData-Version.
    expect(answers.get('4')!.headers).to.deep.equal({ 'Content-Type': 'application/json', 'OData-Version': '4.0', Allow: 'GET, HEAD' });
    // A POST goes to its path, which answers it as alone: /me/photo takes GET, HEAD and DELETE.
    const postedAlone = await request(t.bridge.server).post('/v1.0/me/photo').set('Authorization', basic(READER)).send({});
    expect([answers.get('5')!.status, answers.get('5')!.headers.Allow]).to.deep.equal([postedAlone.status, postedAlone.headers.allow]);
  });

  it("runs each request as the batch's caller, whatever Authorization a request carries; its If-None-Match and If-Match are its own", async () => {
    const etag = (await request(t.bridge.server).get('/v1.0/me/photo/$value').set('Authorization', basic(READER))).headers.etag as string;
    const res = await batch({
      requests: [
        get('me', '/me/photo', { headers: { Authorization: basic(ADMIN) } }),
        get('same', '/me/photo/$value', { headers: { 'If-None-Match': etag } }),
        get('other', '/me/photo/$value', { headers: { 'If-Match': '"other-bytes"' } }),
      ],
    }).expect(200);
    const answers = byId(res);
    expect(answers.get('me')!.body).to.deep.include({ width: 200 });
    expect(answers.get('same')).to.deep.include({ status: 304 });
    expect(answers.get('same')).to.not.have.property('body');
    expect(answers.get('other')).to.deep.include({ status: 412 });
  });

  it("sends a URL with spaces as a client would (percent-encoded), and answers a header HTTP cannot carry as that request's 400 alone", async () => {
    const res = await batch({
      requests: [
        get('filtered', "/me/contacts?$filter=emailAddresses/any(a:a/address eq 'nobody@example.com')"),
        get('accented', '/users/josé@contoso.com/photo'),
        get('broken', '/me/photo', { headers: { Accept: 'image/jpeg\r\nX-Evil: 1' } }),
        get('fine', '/me/photo'),
      ],
    }).expect(200);
    const answers = byId(res);
    expect(answers.get('filtered')).to.deep.include({ status: 200 });
    expect((answers.get('filtered')!.body as { value: unknown[] }).value).to.deep.equal([]);
    expect(answers.get('accented')!.status).to.equal(404);
    expect([answers.get('broken')!.status, (answers.get('broken')!.body as { error: { code: string } }).error.code]).to.deep.equal([400, 'BadRequest']);
    expect(answers.get('fine')!.status).to.equal(200);
  });

  it("answers a URL past the front door's 4,096 characters, as JSON batching lets a client send one ('the lengthy URL simply becomes part of the request payload')", async () => {
    const url = `/me/photo?pad=${'a'.repeat(5_000)}`;
    await request(t.bridge.server).get(`/v1.0${url}`).set('Authorization', basic(READER)).expect(414);
    const answers = byId(await batch({ requests: [get('long', url), get('short', '/me/photo')] }).expect(200));
    expect(answers.get('long')!.status).to.equal(200);
    expect(answers.get('long')!.body).to.deep.equal(answers.get('short')!.body);
  });

  it('answers a method a batch does not take 405 with Allow and OData-Version; on a path the bridge does not have, as that path is answered alone', async () => {
    const res = await batch({
      requests: [
        { id: 'delete', method: 'DELETE', url: '/me/photo' },
        { id: 'patch', method: 'PATCH', url: '/users/alex.wilber@contoso.com/photo/$value' },
        { id: 'nowhere', method: 'DELETE', url: '/me/nowhere' },
      ],
    }).expect(200);
    const answers = byId(res);
    for (const id of ['delete', 'patch']) {
      expect(answers.get(id), id).to.deep.include({ status: 405 });
      expect(answers.get(id)!.headers, id).to.deep.include({ Allow: 'GET, HEAD', 'OData-Version': '4.0' });
    }
    const alone = await request(t.bridge.server).delete('/v1.0/me/nowhere').set('Authorization', basic(READER)).expect(400);
    expect(answers.get('nowhere')!.status).to.equal(alone.status);
    expect((answers.get('nowhere')!.body as { error: { message: string } }).error.message).to.equal(
      (alone.body as { error: { message: string } }).error.message,
    );
    expect(answers.get('nowhere')!.headers['OData-Version']).to.equal('4.0');
    // The photo is still there: the batch changed nothing.
    await request(t.bridge.server).get('/v1.0/me/photo/$value').set('Authorization', basic(READER)).expect(200);
  });

  it('runs requests with dependsOn in turn, and answers 424 for one whose dependency failed', async () => {
    const res = await batch({
      requests: [
        get('a', '/users/nobody@contoso.com/photo'),
        get('b', '/users/alex.wilber@contoso.com/photo', { dependsOn: ['A'] }),
        get('c', '/users/alex.wilber@contoso.com/photo'),
        get('d', '/me/photo', { dependsOn: ['c'] }),
      ],
    }).expect(200);
    expect((res.body as BatchAnswer).responses.map((answer) => [answer.id, answer.status])).to.deep.equal([
      ['a', 404],
      ['b', 424],
      ['c', 200],
      ['d', 200],
    ]);
    expect((res.body as BatchAnswer).responses[1]!.headers).to.deep.equal({ 'Content-Type': 'application/json', 'OData-Version': '4.0' });
  });

  it('refuses a malformed batch as a whole with 400, as Graph does, and asks for a login first', async () => {
    const many = { requests: Array.from({ length: 21 }, (_, i) => get(String(i), '/me/photo')) };
    for (const [what, body] of [
      ['21 requests', many],
      ['no requests', { requests: [] }],
      ['an id used twice (its case ignored)', { requests: [get('x', '/me/photo'), get('X', '/me/photo')] }],
      ['a dependsOn naming no earlier request', { requests: [get('x', '/me/photo', { dependsOn: ['y'] }), get('y', '/me/photo')] }],
      ['an absolute URL', { requests: [get('x', 'https://graph.microsoft.com/v1.0/me/photo')] }],
      ['a URL to another host', { requests: [get('x', '//evil.example/me/photo')] }],
      ['a URL that climbs out', { requests: [get('x', '/../metrics')] }],
      ['a batch in a batch', { requests: [get('x', '/$batch')] }],
      ['headers that are not strings', { requests: [get('x', '/me/photo', { headers: { Accept: 1 } })] }],
      ['no method', { requests: [{ id: 'x', url: '/me/photo' }] }],
      ['a URL that is not text', { requests: [get('x', '/me/photo\ud800')] }],
      // An id is written back in the answer: one that is no text would make it JSON no strict parser takes.
      ['an id that is not text', { requests: [get('a\ud800', '/me/photo')] }],
      ['a body without a Content-Type', { requests: [{ id: 'x', method: 'POST', url: '/me/translateExchangeIds', body: {} }] }],
      [
        'a body of bytes that is not base64',
        { requests: [{ id: 'x', method: 'POST', url: '/me/photo', headers: { 'Content-Type': 'image/jpeg' }, body: '%%' }] },
      ],
    ] as const) {
      const res = await batch(body);
      expect(res.status, what).to.equal(400);
      expect((res.body as { error: { code: string; message: string } }).error, what).to.include({ code: 'BadRequest' });
    }
    const notJson = await request(t.bridge.server).post('/v1.0/$batch').set('Authorization', basic(READER)).set('Content-Type', 'application/json').send('{');
    expect([notJson.status, notJson.body.error.code]).to.deep.equal([400, 'BadRequest']);
    const huge = await batch({ requests: [get('x', `/me/photo?pad=${'a'.repeat(140_000)}`)] });
    expect(huge.status).to.equal(413);
    await request(t.bridge.server)
      .post('/v1.0/$batch')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ requests: [get('x', '/me/photo')] }))
      .expect(401);
    // beta answers as v1.0.
    expect(byId(await batch({ requests: [get('x', '/me/photo')] }, basic(READER), 'beta').expect(200)).get('x')!.status).to.equal(200);
  });

  describe('on the wire', () => {
    let port: number;
    const body = JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/me/photo' }] });
    const head = (extra = '') =>
      `POST /v1.0/$batch HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${basic(READER)}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n${extra}\r\n`;
    const open = () => connectTo(port);

    before(async () => {
      port = await listenOnLoopback(t.bridge.server);
    });

    it('invites the body of a logged-in batch with 100 Continue, then answers it', async () => {
      const socket = await open();
      try {
        socket.write(head('Expect: 100-continue\r\n'));
        expect(await received(socket, (text) => text.includes('\r\n\r\n'))).to.equal('HTTP/1.1 100 Continue\r\n\r\n');
        socket.write(body);
        expect(await received(socket, (text) => text.includes('"responses"'))).to.match(/^HTTP\/1\.1 200 /);
      } finally {
        socket.destroy();
      }
    });

    it('lets one account have two batches in progress; a third is 503 + Retry-After at once, its body unread', async () => {
      const held = await Promise.all([open(), open()]);
      try {
        // Their bodies not sent yet: each batch is admitted and waits for its body.
        for (const socket of held) socket.write(head());
        const third = await batch({ requests: [get('1', '/me/photo')] });
        expect(third.status).to.equal(503);
        expect(third.headers['retry-after']).to.equal('1');
        expect(third.body.error.code).to.equal('ErrorServerBusy');
        const answers = held.map((socket) => received(socket, (text) => text.includes('"responses"')));
        for (const socket of held) socket.write(body);
        for (const answer of await Promise.all(answers)) expect(answer).to.match(/^HTTP\/1\.1 200 /);
      } finally {
        for (const socket of held) socket.destroy();
      }
      expect((await batch({ requests: [get('1', '/me/photo')] })).status).to.equal(200);
    });
  });
});

describe('Graph JSON batching: four requests of a batch at once', () => {
  const PEOPLE = Array.from({ length: 8 }, (_, i) => ({ id: `held-${i}`, userPrincipalName: `held${i}@contoso.com` }));
  /** Asked alone after the batch's first four reached Graph, and answered at once: behind it on the same path, any fifth the batch had started. */
  const SENTINEL = { id: 'sentinel', userPrincipalName: 'sentinel@contoso.com' };
  /** Asked first: until a source's credentials are proven by an answer, it is sent one lookup at a time (credential-gate.ts). */
  const FIRST = { id: 'first', userPrincipalName: 'first@contoso.com' };
  let graph: GraphSimulator;
  let t: TestBridge;

  before(async () => {
    // As large as Graph keeps photos: the size asked first is there, so each person is one photo request.
    const photo = await samplePhoto(648, 648);
    graph = await startGraphSimulator([...PEOPLE, SENTINEL, FIRST].map((person) => ({ ...person, photo })));
    // Held answers are let go by the test, not by the clock: no attempt may time out or be retried meanwhile.
    t = await startBridgeWithSources([graphSourceEntry('m365', graph)], { users: ['m365'] }, { BRIDGE_SOURCE_TIMEOUT_MS: '15000', BRIDGE_SOURCE_RETRIES: '0' });
    await t.store.upsertUsers(
      [...PEOPLE, SENTINEL, FIRST].map(({ id, userPrincipalName }) => ({ email: userPrincipalName, displayName: id, refs: { graphId: id } })),
    );
  });
  after(async () => {
    await t.close();
    await graph.close();
  });

  it('starts four requests together and each further one only as one of them is answered', async () => {
    /** For each of the batch's photo requests that reached Graph, how many held ones had been let go by then. */
    const releasedAtArrival: number[] = [];
    const held: (() => void)[] = [];
    let released = 0;
    const releaseOne = () => {
      released++;
      held.shift()!();
    };
    await request(t.bridge.server).get(`/v1.0/users/${FIRST.userPrincipalName}/photo/$value`).set('Authorization', basic(READER)).expect(200);
    graph.faults = [...PEOPLE, SENTINEL].map(() => ({
      kind: 'held',
      until: () =>
        new Promise<void>((resolve) => {
          if (graph.photoPaths.at(-1)!.includes(SENTINEL.id)) return resolve();
          releasedAtArrival.push(released);
          held.push(resolve);
        }),
    }));
    const answered = request(t.bridge.server)
      .post('/v1.0/$batch')
      .set('Authorization', basic(READER))
      .set('Content-Type', 'application/json')
      .send(
        JSON.stringify({
          requests: PEOPLE.map(({ userPrincipalName }, i) => ({ id: String(i), method: 'GET', url: `/users/${userPrincipalName}/photo/$value` })),
        }),
      )
      .then((res) => res);
    const arrivals = async (count: number) => {
      while (releasedAtArrival.length < count) await new Promise((resolve) => setImmediate(resolve));
    };
    await arrivals(4);
    await request(t.bridge.server).get(`/v1.0/users/${SENTINEL.userPrincipalName}/photo/$value`).set('Authorization', basic(READER)).expect(200);
    for (let next = 5; next <= PEOPLE.length; next++) {
      releaseOne();
      await arrivals(next);
    }
    while (held.length > 0) releaseOne();
    const res = await answered;
    expect((res.body as BatchAnswer).responses.map((answer) => answer.status)).to.deep.equal(new Array<number>(PEOPLE.length).fill(200));
    expect(releasedAtArrival).to.deep.equal([0, 0, 0, 0, 1, 2, 3, 4]);
  });
});

describe('Graph JSON batching: the errors a batch writes for its requests itself', () => {
  let t: TestBridge;
  const lines: Record<string, unknown>[] = [];
  before(async () => {
    t = await startTestBridge(
      { BRIDGE_ACCESS_LOG: 'true' },
      createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
    );
  });
  after(() => t.close());

  type GraphError = { error: { code: string; message: string; innerError: Record<string, string> } };
  const batch = (requests: unknown[]) =>
    request(t.bridge.server)
      .post('/v1.0/$batch')
      .set('Authorization', basic(READER))
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ requests }));

  it("answers a URL past node:http's 16 KiB of request head with Graph's error JSON and OData-Version, and logs it refused unread as alone", async () => {
    const url = `/me/photo?pad=${'a'.repeat(100_000)}`;
    await request(t.bridge.server).get(`/v1.0${url}`).set('Authorization', basic(READER)).expect(414);
    const res = await batch([
      { id: 'long', method: 'GET', url },
      { id: 'fine', method: 'GET', url: '/me' },
    ]).expect(200);
    const [long, fine] = (res.body as BatchAnswer).responses;
    expect([long!.status, long!.headers, fine!.status]).to.deep.equal([414, { 'Content-Type': 'application/json', 'OData-Version': '4.0' }, 200]);
    const { error } = long!.body as GraphError;
    expect([error.code, error.message, error.innerError['request-id']]).to.deep.equal([
      'ErrorInvalidRequest',
      'The request could not be read: URI Too Long.',
      res.headers['request-id'],
    ]);
    expect(Number.isNaN(Date.parse(error.innerError.date!))).to.equal(false);
    // One line for the request alone, one for the batch's.
    let refused: Record<string, unknown>[] = [];
    for (let attempt = 0; attempt < 100 && refused.length < 2; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      refused = lines.filter((line) => line.msg === 'request refused unread' && line.status === 414);
    }
    expect(refused.map(({ reason }) => reason)).to.deep.equal(['HPE_HEADER_OVERFLOW', 'HPE_HEADER_OVERFLOW']);
  });

  it('writes the innerError Graph writes on every error (its date and the batch’s request-id) into a 405 and a 424 it writes itself', async () => {
    const res = await batch([
      { id: 'delete', method: 'DELETE', url: '/me/photo' },
      { id: 'after', method: 'GET', url: '/me', dependsOn: ['delete'] },
    ]).expect(200);
    const errors = (res.body as BatchAnswer).responses.map(({ status, body }) => [
      status,
      (body as GraphError).error.code,
      Object.keys((body as GraphError).error.innerError),
      (body as GraphError).error.innerError['request-id'],
    ]);
    expect(errors).to.deep.equal([
      [405, 'Request_BadRequest', ['date', 'request-id'], res.headers['request-id']],
      [424, 'FailedDependency', ['date', 'request-id'], res.headers['request-id']],
    ]);
  });
  it('writes one access line for each request of a batch, as the client saw it: its method, path and status, and the batch’s user', async () => {
    lines.length = 0;
    const res = await batch([
      { id: 'fine', method: 'GET', url: '/me' },
      { id: 'refused', method: 'DELETE', url: '/me/photo/$value' },
      { id: 'failing', method: 'GET', url: '/users/nobody@contoso.com/photo' },
      { id: 'after', method: 'GET', url: '/me', dependsOn: ['failing'] },
      { id: 'query', method: 'GET', url: '/me/contacts?$expand=photo' },
      { id: 'nul', method: 'GET', url: '/me/contacts?$filter=displayName%20eq%20%27a%00%27' },
      { id: 'header', method: 'GET', url: '/me/photo', headers: { Accept: 'image/jpeg\r\nX-Evil: 1' } },
    ]).expect(200);
    expect((res.body as BatchAnswer).responses.map(({ id, status }) => [id, status])).to.deep.equal([
      ['fine', 200],
      ['refused', 405],
      ['failing', 404],
      ['after', 424],
      ['query', 400],
      ['nul', 400],
      ['header', 400],
    ]);
    const logged = () => lines.filter((line) => line.msg === 'request' && line.path !== '/v1.0/$batch');
    // Written as each is answered, ahead of the batch's answer.
    expect(logged().map(({ method, path, status, user }) => [method, path, status, user])).to.have.deep.members([
      ['GET', '/v1.0/me', 200, READER.username],
      ['DELETE', '/v1.0/me/photo/$value', 405, READER.username],
      ['GET', '/v1.0/users/{address}/photo', 404, READER.username],
      ['GET', '/v1.0/me', 424, READER.username],
      ['GET', '/v1.0/me/contacts', 400, READER.username],
      ['GET', '/v1.0/me/contacts', 400, READER.username],
      ['GET', '/v1.0/me/photo', 400, READER.username],
    ]);
    // Those the batch answered itself (the front door never heard them) name the batch's request id, as their errors' innerError does.
    expect(logged().flatMap((line) => (line.reqId === res.headers['request-id'] ? [line.status] : []))).to.have.members([405, 424, 400]);
  });
});

describe('Graph JSON batching: bodies nested deep, header fields, the answer written in parts', () => {
  let t: TestBridge;
  const lines: Record<string, unknown>[] = [];
  before(async () => {
    t = await startTestBridge({}, createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }));
  });
  after(() => t.close());

  const post = (path: string, body: string) =>
    request(t.bridge.server).post(path).set('Authorization', basic(READER)).set('Content-Type', 'application/json').send(body);

  it('refuses a request body nested 5,000 deep with 400 BadRequest naming the nesting, on every JSON door, and logs no error', async () => {
    lines.length = 0;
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    // Written by hand: JSON.stringify itself overflows the stack on it.
    const inBatch = `{"requests":[{"id":"1","method":"POST","url":"/me/translateExchangeIds","headers":{"Content-Type":"application/json"},"body":${deep}}]}`;
    for (const [path, body] of [
      ['/v1.0/$batch', inBatch],
      ['/beta/$batch', inBatch],
      ['/v1.0/$batch', deep],
      ['/v1.0/$batch', `{"requests":${deep}}`],
      ['/v1.0/me/translateExchangeIds', deep],
      ['/v1.0/me/translateExchangeIds', `{"inputIds":${deep},"sourceIdType":"ewsId","targetIdType":"restId"}`],
    ] as const) {
      const res = await post(path, body);
      const what = `${path} ${body.slice(0, 30)}`;
      expect([res.status, (res.body as { error: { code: string } }).error.code], what).to.deep.equal([400, 'BadRequest']);
      expect((res.body as { error: { message: string } }).error.message, what).to.match(/nests arrays and objects deeper than \d+/);
    }
    // A body within the depth is read as before; brackets inside strings are no nesting.
    const fine = await post('/v1.0/$batch', JSON.stringify({ requests: [{ id: `${'['.repeat(40)}`, method: 'GET', url: '/me' }] }));
    expect(fine.status).to.equal(200);
    expect(lines.filter((line) => (line.level as number) >= 50)).to.deep.equal([]);
  });

  it('answers a request of a batch with more than 100 header fields 431, as it is answered alone', async () => {
    const fields = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`X-Filler-${i}`, 'a']));
    const alone = await request(t.bridge.server).get('/v1.0/me').set('Authorization', basic(READER)).set(fields(101));
    expect(alone.status).to.equal(431);
    const res = await post(
      '/v1.0/$batch',
      JSON.stringify({
        requests: [
          { id: 'many', method: 'GET', url: '/me', headers: fields(500) },
          // With the batch's Host and Authorization, 101 fields alone.
          { id: 'over', method: 'GET', url: '/me', headers: fields(99) },
          { id: 'within', method: 'GET', url: '/me', headers: fields(98) },
        ],
      }),
    ).expect(200);
    const answers = new Map((res.body as BatchAnswer).responses.map((answer) => [answer.id, answer]));
    const aloneError = (alone.body as { error: { code: string; message: string } }).error;
    for (const id of ['many', 'over']) {
      const { status, body } = answers.get(id)!;
      expect(status, id).to.equal(431);
      const { error } = body as { error: { code: string; message: string } };
      expect([error.code, error.message], id).to.deep.equal([aloneError.code, aloneError.message]);
    }
    expect(answers.get('within')!.status).to.equal(200);
  });

  it('writes its answer a response at a time (twenty photos joined and encoded whole held the event loop), with the Content-Length of what it writes', async () => {
    await t.store.upsertUsers([{ email: 'alex.wilber@contoso.com', displayName: 'Alex Wilber', refs: {} }]);
    await t.bridge.photos.setPhoto(userOwner('alex.wilber@contoso.com'), await samplePhoto(300, 300), 'test');
    const writes: number[] = [];
    const count = (req: IncomingMessage, res: ServerResponse) => {
      if (req.url !== '/v1.0/$batch') return;
      const write = res.write.bind(res) as (chunk: string) => boolean;
      res.write = ((chunk: string) => {
        writes.push(Buffer.byteLength(chunk));
        return write(chunk);
      }) as typeof res.write;
    };
    t.bridge.server.prependListener('request', count);
    let res: request.Response;
    try {
      res = await post(
        '/v1.0/$batch',
        JSON.stringify({
          requests: Array.from({ length: BATCH_MAX_REQUESTS }, (_, i) => ({
            id: String(i),
            method: 'GET',
            url: '/users/alex.wilber@contoso.com/photo/$value',
          })),
        }),
      ).expect(200);
    } finally {
      t.bridge.server.off('request', count);
    }
    const { responses } = res.body as BatchAnswer;
    expect(responses.map(({ status }) => status)).to.deep.equal(Array.from({ length: BATCH_MAX_REQUESTS }, () => 200));
    // The opening, then each response.
    expect(writes).to.have.length(1 + BATCH_MAX_REQUESTS);
    expect(res.headers['content-length']).to.equal(String(Buffer.byteLength(res.text)));
  });
});

describe('Graph JSON batching: the answer’s size', () => {
  let t: TestBridge;
  const PEOPLE = 999;
  const lines: Record<string, unknown>[] = [];
  before(async () => {
    t = await startTestBridge(
      // The most search time the settings allow: what is measured is the answer's size, and a busy machine spent the default share before it was reached.
      { BRIDGE_ACCESS_LOG: 'true', BRIDGE_SEARCH_MS_PER_SECOND: '1000', BRIDGE_SEARCH_MS_PER_SECOND_ALL_ACCOUNTS: '1000' },
      createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
    );
    await t.store.upsertUsers(
      Array.from({ length: PEOPLE }, (_, i) => ({
        email: `person.${String(i).padStart(4, '0')}@contoso.com`,
        // Three bytes a character in UTF-8: the limit is of bytes sent, not of characters.
        displayName: `Person ${i} ${'とても長い名前の人 '.repeat(8)}`,
        department: '名前の長い部署 '.repeat(4),
        refs: {},
      })),
    );
  });
  after(() => t.close());

  it(`holds at most ${BATCH_MAX_ANSWER_BYTES / 1024 / 1024} MB of answers: the requests past it are each a 429 with Retry-After, the rest whole, and not run once one has not fitted`, async () => {
    lines.length = 0;
    const requests = Array.from({ length: BATCH_MAX_REQUESTS }, (_, i) => ({ id: String(i), method: 'GET', url: `/users?$top=${PEOPLE}` }));
    const res = await request(t.bridge.server)
      .post('/v1.0/$batch')
      .set('Authorization', basic(READER))
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ requests }))
      .expect(200);
    const { responses } = res.body as BatchAnswer;
    const whole = responses.filter((response) => response.status === 200);
    const refused = responses.filter((response) => response.status !== 200);
    expect(whole.length).to.be.within(1, BATCH_MAX_REQUESTS - 1);
    expect(whole.every((response) => (response.body as { value: unknown[] }).value.length === PEOPLE)).to.equal(true);
    expect(refused.length).to.equal(BATCH_MAX_REQUESTS - whole.length);
    for (const response of refused) {
      expect([response.status, response.headers['Retry-After'], (response.body as { error: { code: string } }).error.code]).to.deep.equal([
        429,
        '1',
        'TooManyRequests',
      ]);
    }
    expect(Buffer.byteLength(res.text)).to.be.at.most(BATCH_MAX_ANSWER_BYTES + 64 * 1024);
    const one = Buffer.byteLength(JSON.stringify(whole[0]));
    expect(Buffer.byteLength(res.text) + one, 'one more page would not have fit').to.be.above(BATCH_MAX_ANSWER_BYTES);
    // One line a request, with the status its client got: a page run that did not fit is logged 429.
    const logged = lines.filter((line) => line.msg === 'request' && line.path === '/v1.0/users');
    expect(logged.map((line) => [line.status, line.user]).sort()).to.deep.equal(responses.map((response) => [response.status, READER.username]).sort());
    // Run: the pages that fitted, the one that did not, and those already under way beside it (four at a time); the rest never
    // were, and have the line the batch writes for them, with the batch's request id.
    const run = logged.filter((line) => line.reqId !== res.headers['request-id']).length;
    expect(run).to.be.within(whole.length + 1, whole.length + 4);
    expect(run).to.be.below(BATCH_MAX_REQUESTS);
  });
});
