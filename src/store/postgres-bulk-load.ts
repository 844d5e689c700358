import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** One table's rows for bulkLoad as COPY text (copyText, CopyTextBytes), in the order of `columns`. */
interface TableLoad {
  table: string;
  columns: readonly string[];
  text: Iterable<string | Buffer>;
}

/**
 * The first import of a large directory, into tables that are empty and stay so until
 * this transaction ends: rows by COPY, the tables' other indexes dropped before them and
 * built after them. Building an index sorts its keys once, where a row-by-row insert walks
 * every index for every row — at a million people, most of an import's time, and GIN's
 * word-start keys the most of it. The tables are loaded in order, each table's rows read
 * only when its turn comes (a later table's may be made while an earlier one's are read).
 *
 * The tables are locked until the transaction ends, so that their readers wait for the
 * import (they would have found nothing): only an import into an empty directory takes
 * this way. The rows must not repeat a unique index's key (the caller merges them): a
 * repeat fails the index's build, and the transaction with it. The tables' triggers are
 * off meanwhile: what they keep (user_name_words, from users) is among the loads.
 */
export async function bulkLoad(client: pg.PoolClient, loads: readonly TableLoad[]): Promise<void> {
  const tables = loads.map((load) => load.table);
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(
    // Indexes that back a constraint stay (the primary key, which other tables' rows refer
    // to). A unique index is built again like the others: the rows come merged by it, and
    // no one reads the locked table meanwhile; at a million people keeping the address
    // index up during COPY cost 5 s, building it after 1.5 s.
    `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE x.indrelid = ANY($1::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
    [tables],
  );
  for (const { name } of indexes) await client.query(`DROP INDEX ${name}`);
  for (const table of tables) await client.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
  // Truncated in this transaction, the tables take COPY FREEZE: rows written frozen and
  // their pages marked all-visible, so that an index-only scan (the people search's walk
  // of the name index) reads no table page, which it otherwise did for every row until a
  // VACUUM. The tables whose rows refer to their rows are as empty as they are.
  await client.query(`TRUNCATE ${tables.join(', ')} CASCADE`);
  for (const { table, columns, text } of loads) {
    await pipeline(Readable.from(text), client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FREEZE)`)));
  }
  // An index build sorts in this much memory before it spills to disk; the import's only.
  await client.query(`SET LOCAL maintenance_work_mem = '${INDEX_BUILD_MEMORY}'`);
  for (const { definition } of indexes) await client.query(definition);
  for (const table of tables) await client.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  // The planner picks the people search's plans from the tables' statistics, which a table
  // filled in one transaction has none of until autovacuum comes by: hundreds of ms a query.
  for (const table of tables) await client.query(`ANALYZE ${table}`);
}

const INDEX_BUILD_MEMORY = '256MB';
/**
 * Rows per chunk written to the COPY stream: few enough writes, and chunks short-lived
 * enough to die young. A chunk of 1,000 rows (~370 KB of text) outlived two scavenges
 * while it grew and was promoted, and the old space's collections, marking the whole
 * import's records each time, were 39 % of the bridge's time making the rows: at a million
 * people 100 rows a chunk made the import 17,509 → 23,878 rows/s (COPY was waiting on them).
 */
const ROWS_PER_CHUNK = 100;

/**
 * COPY's text format: a line a row, a tab between values, \N for NULL, and backslash
 * escapes. Lines are added to by hand and a value is searched for what to escape before
 * it is rewritten: at a million rows, mapping and joining arrays and replacing in every
 * value cost 5.4 s of the bridge's CPU, this 2.2 s.
 */
export function* copyText(rows: Iterable<readonly (string | null)[]>): Generator<string> {
  let chunk = '';
  let count = 0;
  for (const row of rows) {
    chunk += copyLine(row);
    if (++count % ROWS_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/**
 * Rows made long before their turn to load (while an earlier table's load reads its
 * own), kept as COPY text a chunk at a time in bytes outside the JavaScript heap. Kept
 * as arrays, at a million people the name word lists' 1.26 million rows were copied by
 * every garbage collection of the users' load.
 */
export class CopyTextBytes implements Iterable<Buffer> {
  private chunk = '';
  private count = 0;
  private readonly chunks: Buffer[] = [];

  add(row: readonly (string | null)[]): void {
    this.chunk += copyLine(row);
    if (++this.count % ROWS_PER_CHUNK === 0) this.flush();
  }

  [Symbol.iterator](): Iterator<Buffer> {
    this.flush();
    return this.chunks[Symbol.iterator]();
  }

  private flush(): void {
    if (this.chunk === '') return;
    this.chunks.push(Buffer.from(this.chunk));
    this.chunk = '';
  }
}

function copyLine(row: readonly (string | null)[]): string {
  let line = copyValue(row[0] ?? null);
  for (let i = 1; i < row.length; i++) line += '\t' + copyValue(row[i] ?? null);
  return line + '\n';
}

const TO_ESCAPE = /[\\\n\r\t]/;
const ESCAPED = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function copyValue(value: string | null): string {
  if (value === null) return '\\N';
  return TO_ESCAPE.test(value) ? value.replace(ESCAPED, (c) => ESCAPES[c]!) : value;
}
