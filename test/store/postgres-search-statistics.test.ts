import { expect } from 'chai';
import { keysQuery, queryKeys } from '../../src/store/postgres-search-keys.js';
import { CachedSearchStatistics, COLUMN_STATISTICS_SQL, estimatedMatches, type ColumnStatisticsRow } from '../../src/store/postgres-search-statistics.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { freshDatabase } from '../support/postgres.js';
import { runSql } from './backends.js';

const GIVEN = ['Anna', 'Andrea', 'Marek', 'Maria', 'Mei', 'Robert', 'Sebastian', 'Tânia'];
const SURNAMES = ['Martins', 'Rossi', 'Ivanova', 'Andersen', 'Meyer', 'Ng'];
const DEPARTMENTS = ['Marketing', 'Research', 'Finance'];

/** Many people, so that ANALYZE keeps most common keys, a few of them rare. */
const people = Array.from({ length: 12_000 }, (_, i) => ({
  email: `p${i}@contoso.com`,
  displayName: `${GIVEN[i % GIVEN.length]!} ${SURNAMES[(i * 7) % SURNAMES.length]!}${i % 500 === 0 ? ' Zyx' : ''}`,
  department: DEPARTMENTS[i % DEPARTMENTS.length]!,
  refs: {},
}));

describe('PostgreSQL search statistics: what a word tier chooses its plan from', () => {
  let url: string;
  const read = async () => (await runSql(url, COLUMN_STATISTICS_SQL)).rows as ColumnStatisticsRow[];

  before(async () => {
    url = await freshDatabase();
    const store = await PostgresStore.open(url);
    await store.upsertUsers(people); // an import into an empty directory: loaded and analyzed
    await store.close();
  });

  it("estimates the rows holding a query's keys as PostgreSQL's planner does, in the names and in the names or other fields", async () => {
    const statistics = await new CachedSearchStatistics(read).get();
    expect(statistics.rows).to.equal(people.length);
    for (const words of [['an'], ['an', 'mar'], ['mei', 'ro'], ['seba'], ['zyx'], ['qqq'], ['mark', 'ng'], ['res', 'iv']]) {
      for (const where of ['names', 'namesOrOther'] as const) {
        const keys = queryKeys(words, where);
        const { rows } = await runSql(url, 'EXPLAIN (FORMAT JSON) SELECT 1 FROM users u WHERE u.search_keys @@ $1::tsquery', [keysQuery(keys)]);
        const planned = (rows[0]!['QUERY PLAN'] as [{ Plan: { 'Plan Rows': number } }])[0].Plan['Plan Rows'];
        // The planner never expects fewer than one row, and computes from the shares as float4 (a row either way).
        expect(Math.max(1, estimatedMatches(statistics, keys)), `${words.join(' ')} in ${where}`).to.be.closeTo(planned, 1);
      }
    }
  });

  it('has none before ANALYZE: nothing is estimated', async () => {
    const empty = await freshDatabase();
    await (await PostgresStore.open(empty)).close();
    const statistics = await new CachedSearchStatistics(async () => (await runSql(empty, COLUMN_STATISTICS_SQL)).rows as ColumnStatisticsRow[]).get();
    expect(estimatedMatches(statistics, queryKeys(['an'], 'names'))).to.equal(0);
  });

  it('reads the catalog once for many queries, again when told to forget, and does not keep a failed read', async () => {
    let reads = 0;
    let failing = false;
    const cached = new CachedSearchStatistics(async () => {
      reads++;
      if (failing) throw new Error('connection lost');
      return read();
    });
    await Promise.all([cached.get(), cached.get(), cached.get()]);
    await cached.get();
    expect(reads).to.equal(1);
    cached.forget();
    failing = true;
    let failure: unknown;
    await cached.get().catch((error: unknown) => (failure = error));
    expect((failure as Error | undefined)?.message).to.equal('connection lost');
    failing = false;
    expect((await cached.get()).rows).to.equal(people.length);
    expect(reads).to.equal(3);
  });

  it('keeps a read begun after a forget when an older read fails later', async () => {
    let reads = 0;
    let failOlder: (error: Error) => void = () => {};
    const cached = new CachedSearchStatistics(() => {
      reads++;
      if (reads === 1) return new Promise<ColumnStatisticsRow[]>((_, reject) => (failOlder = reject));
      return read();
    });
    const older = cached.get().catch((error: unknown) => error);
    cached.forget();
    expect((await cached.get()).rows).to.equal(people.length);
    failOlder(new Error('connection lost'));
    expect(((await older) as Error).message).to.equal('connection lost');
    // The newer read stays: asking again reads nothing.
    expect((await cached.get()).rows).to.equal(people.length);
    expect(reads).to.equal(2);
  });
});
