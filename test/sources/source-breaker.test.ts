import { expect } from 'chai';
import request from 'supertest';
import { graphSourceEntry, startGraphSimulator } from '../simulators/graph.js';
import { repeated } from '../simulators/photo-faults.js';
import { startBridgeWithSources } from '../support/bridge-with-sources.js';
import { basic, READER } from '../support/test-bridge.js';

describe("a source's circuit breaker counts failed lookups, not attempts", () => {
  it('opens after BRIDGE_SOURCE_BREAKER_THRESHOLD lookups that failed with all their retries: 5 lookups of 3 requests, not 5 requests', async () => {
    const graph = await startGraphSimulator();
    const t = await startBridgeWithSources(
      [graphSourceEntry('m365', graph)],
      { users: ['m365'] },
      { BRIDGE_SOURCE_BREAKER_THRESHOLD: '5', BRIDGE_SOURCE_RETRIES: '2' },
    );
    // Graph answers a user id it does not know as it answers a user without a photo: 404.
    const people = [
      'failing-1',
      'failing-2',
      'failing-3',
      'failing-4',
      'no-photo-1',
      'failing-5',
      'failing-6',
      'failing-7',
      'failing-8',
      'failing-9',
      'no-photo-2',
    ];
    const photoStatus = async (person: string) =>
      (await request(t.bridge.server).get(`/ews/exchange.asmx/s/GetUserPhoto?email=${person}@contoso.com&size=HR64x64`).set('Authorization', basic(READER)))
        .status;
    const failingLookup = (person: string) => {
      graph.faults = repeated({ kind: 'status', status: 500 }, 3);
      return photoStatus(person);
    };
    try {
      await t.store.upsertUsers(people.map((person) => ({ email: `${person}@contoso.com`, displayName: person, refs: { graphId: person } })));
      const failed = [];
      for (const person of ['failing-1', 'failing-2', 'failing-3', 'failing-4']) failed.push(await failingLookup(person));
      expect([failed, graph.counts.photos], 'four lookups failed, each after three attempts').to.deep.equal([[503, 503, 503, 503], 12]);
      // Four failed lookups are one short of the threshold: Graph is still asked (its 648 px size, then
      // the largest it has), and says "no photo".
      expect([await photoStatus('no-photo-1'), graph.counts.photos]).to.deep.equal([404, 14]);

      // That answer closed the count; five failed lookups in a row open the breaker…
      for (const person of ['failing-5', 'failing-6', 'failing-7', 'failing-8', 'failing-9']) failed.push(await failingLookup(person));
      expect([failed.slice(4), graph.counts.photos]).to.deep.equal([[503, 503, 503, 503, 503], 29]);
      // …and the next lookup is not sent: "try again".
      expect([await photoStatus('no-photo-2'), graph.counts.photos]).to.deep.equal([503, 29]);
    } finally {
      await t.close();
      await graph.close();
    }
  });
});
