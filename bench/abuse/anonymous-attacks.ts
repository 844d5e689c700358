import { distinctIds, getItem, getUserPhoto, resolveNames } from '../../test/abuse/hostile-bodies.js';
import { rawRequest } from '../../test/abuse/raw-request.js';
import { BENCH_USER } from '../fixture.js';
import { check, readAnswer, soap, statusIs, summary, type Attack, type ReadAnswer } from './attack.js';
import type { RunningBridge } from './bridges.js';
import { unauthenticatedHeldBodies } from './http-attacks.js';

/** Against a bridge with BRIDGE_ANONYMOUS_READ=true: photos without a login, nothing else. */
export function anonymousAttacks(): Attack[] {
  const asks = (answer: ReadAnswer) => [statusIs(answer, 401), check('no directory data', !answer.text.includes('Bench User'))];
  const serves = (answer: ReadAnswer) => [statusIs(answer, 200)];
  const get = async (bridge: RunningBridge, path: string) => readAnswer(await rawRequest(`${bridge.base}${path}`));
  const attack = (name: string, send: (bridge: RunningBridge) => Promise<ReadAnswer>, expect: (answer: ReadAnswer) => ReturnType<typeof asks>): Attack => ({
    name: `anonymous: ${name}`,
    async run(bridge) {
      const answer = await send(bridge);
      return summary(answer, expect(answer));
    },
  });
  return [
    attack('GET /api/people', (bridge) => get(bridge, '/api/people?q=bench'), asks),
    attack('GET / (directory page)', (bridge) => get(bridge, '/'), asks),
    attack('Graph GET /v1.0/users', (bridge) => get(bridge, '/v1.0/users'), asks),
    attack('SOAP ResolveNames', (bridge) => soap(bridge, resolveNames('Bench'), { authorization: null }), asks),
    attack('SOAP GetItem', (bridge) => soap(bridge, getItem(distinctIds(1)), { authorization: null }), asks),
    attack('REST photo URL (allowed)', (bridge) => get(bridge, `/ews/exchange.asmx/s/GetUserPhoto?email=${BENCH_USER.email}&size=HR96x96`), serves),
    attack('SOAP GetUserPhoto (allowed)', (bridge) => soap(bridge, getUserPhoto(BENCH_USER.email), { authorization: null }), serves),
    unauthenticatedHeldBodies(),
  ];
}
