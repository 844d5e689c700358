/**
 * What ANALYZE last counted of the people search's word-start keys (search_keys): the
 * most common, each with the share of rows that hold it, and the table's rows. A word
 * tier chooses its plan from them. Asking the server each time (EXPLAIN, a pg_stats
 * query) was two round trips and 1–2 ms of planning a query at a million people; they
 * change only when ANALYZE runs, so the process keeps them a while.
 */
export interface SearchStatistics {
  rows: number;
  /** Share of rows holding each of the most common keys. */
  keys: ReadonlyMap<string, number>;
  /** Share assumed for a key not among them, as PostgreSQL's planner assumes it: half the least common one's, at most 0.5 %. */
  otherKey: number;
}

/** How long statistics are kept before they are read again: autovacuum's ANALYZE comes by in minutes, not seconds. */
const MAX_AGE_MS = 60_000;

/** What the catalog says, one row per column ANALYZE has seen. */
export interface ColumnStatisticsRow {
  attname: 'search_keys';
  elems: string[] | null;
  freqs: number[] | null;
  reltuples: number;
}

export const COLUMN_STATISTICS_SQL = `SELECT s.attname, s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs AS freqs, c.reltuples::float8 AS reltuples
  FROM pg_stats s JOIN pg_class c ON c.oid = 'users'::regclass
  WHERE s.schemaname = current_schema() AND s.tablename = 'users' AND s.attname = 'search_keys'`;

/** Statistics read at most once per MAX_AGE_MS, by one caller while the others wait for the same read. */
export class CachedSearchStatistics {
  private current: { readAt: number; statistics: Promise<SearchStatistics> } | undefined;

  constructor(private readonly read: () => Promise<ColumnStatisticsRow[]>) {}

  get(): Promise<SearchStatistics> {
    const now = Date.now();
    if (!this.current || now - this.current.readAt > MAX_AGE_MS) {
      const statistics = this.read().then(searchStatisticsOf);
      // A failed read is not kept: the next query asks again.
      statistics.catch(() => {
        if (this.current?.statistics === statistics) this.forget();
      });
      this.current = { readAt: now, statistics };
    }
    return this.current.statistics;
  }

  /** When the counts may have changed (this process's bulk load, another process's commit): the next query reads them again. */
  forget(): void {
    this.current = undefined;
  }
}

/** PostgreSQL's DEFAULT_TS_MATCH_SEL. */
const DEFAULT_MATCH_SHARE = 0.005;

function searchStatisticsOf(rows: readonly ColumnStatisticsRow[]): SearchStatistics {
  const keys = rows.find((row) => row.attname === 'search_keys');
  const elems = keys?.elems ?? [];
  // most_common_elem_freqs: one share per element, then the least and the greatest of them (and the share of nulls).
  const freqs = keys?.freqs ?? [];
  return {
    rows: Math.max(0, rows[0]?.reltuples ?? 0),
    keys: new Map(elems.map((key, i) => [key, freqs[i]!])),
    otherKey: Math.min(DEFAULT_MATCH_SHARE, (freqs[elems.length] ?? 0) / 2),
  };
}

/**
 * How many rows the planner would expect to hold every word by one of its keys
 * (queryKeys): the keys taken as independent, as PostgreSQL takes them. No statistics
 * yet (a table never analyzed): none, so the tier sorts its matches, and counts them.
 */
export function estimatedMatches(statistics: SearchStatistics, keys: readonly (readonly string[])[]): number {
  const share = (key: string) => statistics.keys.get(key) ?? statistics.otherKey;
  const anyOf = (alternatives: readonly string[]) => 1 - alternatives.reduce((none, key) => none * (1 - share(key)), 1);
  return statistics.rows * keys.reduce((all, alternatives) => all * anyOf(alternatives), 1);
}
