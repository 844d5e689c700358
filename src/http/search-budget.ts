import { performance } from 'node:perf_hooks';
import { BridgeError, StoreBusyError, StoreUnreachableError } from '../domain/errors.js';
import { PROCESS_TURNS, type LoopTurns } from '../loop-turns.js';

/**
 * Searches one account may have in progress at once: Exchange 2016's EWSMaxConcurrency (10),
 * the server the bridge presents itself as. Four refused an add-in resolving ten recipients.
 */
export const SEARCHES_AT_ONCE = 10;
/** How many seconds of its share an account may spend in one burst. */
const BURST_SECONDS = 2;

interface Spent {
  /** Milliseconds of search time not yet paid back, as of `at`. */
  owed: number;
  at: number;
  running: number;
}

/**
 * A share of the store's time each account may use for searches (directory, contacts,
 * name resolution), as Exchange's throttling policies give each user a percentage of
 * time in the directory and mailbox (EWSPercentTimeIn…): a leaky bucket that every
 * search's time fills and that drains at `msPerSecond`. SQLite searches run on the event
 * loop, so one login sending searches that each cost 150 ms, 8 at a time, held every other
 * request for 6.6 s; PostgreSQL's were slowed for everyone. Past its share, or with
 * SEARCHES_AT_ONCE in progress, an account is told to come back (ErrorServerBusy: 503 +
 * Retry-After, SOAP's back-off) while everyone else goes on. A search starts in a turn of
 * the event loop with room (loop-turns.ts), so many due at once take turns with other I/O.
 *
 * Every account's searches together have a share too (`allMsPerSecond`): past it, an
 * account that spent a quarter of its own burst lately is told to come back, the others go on.
 *
 * A search is charged the time from its start divided by the searches running meanwhile
 * (everyone's, as it began and as it ended), as a shared processor's time is: waiting for a pooled
 * PostgreSQL connection behind another account's flood made a search within its share take
 * ten times its own cost, and that account was refused for the other's load.
 */
export class SearchBudget {
  private readonly spent = new Map<string, Spent>();
  private readonly capacityMs: number;
  /** Every account's searches together: a share of their own each, four logins held the whole event loop between them. */
  private readonly all: Spent = { owed: 0, at: 0, running: 0 };
  private readonly allCapacityMs: number;
  /** Searches in progress, every account's. */
  private running = 0;

  constructor(
    private readonly msPerSecond: number,
    // Without one, no share together: the largest number, whose products never make a NaN of the debt.
    private readonly allMsPerSecond = Number.MAX_VALUE,
    private readonly now: () => number = () => performance.now(),
    // A test's own, on the clock it moves: the process's are measured on the real one.
    private readonly turns: Pick<LoopTurns, 'inTurnWithRoom'> = PROCESS_TURNS,
  ) {
    this.capacityMs = msPerSecond * BURST_SECONDS;
    this.allCapacityMs = allMsPerSecond * BURST_SECONDS;
  }

  /** Throws ErrorServerBusy as `run` would for a search begun now: for work whose answer starts before its parts are charged (streamed items). */
  admit(account: string): void {
    this.admitted(account, this.now());
  }

  async run<T>(account: string, search: () => Promise<T>): Promise<T> {
    const spent = this.admitted(account, this.now());
    // In progress and charged from its start, not while it waits for a turn: fifty of one
    // login's ResolveNames at once were half refused when their wait counted.
    let began: number | undefined;
    let sharedAtStart = 0;
    let keptWaiting = false;
    try {
      return await this.turns.inTurnWithRoom(() => {
        began = this.now();
        spent.running++;
        sharedAtStart = ++this.running;
        return search();
      });
    } catch (error) {
      // A search that only waited for a store others kept busy, or one that could not be reached,
      // cost nothing: charged, each such wait left the account refused for seconds after the store was free.
      keptWaiting = error instanceof StoreBusyError || error instanceof StoreUnreachableError;
      throw error;
    } finally {
      if (began !== undefined) {
        const sharing = (sharedAtStart + this.running) / 2;
        this.running--;
        spent.running--;
        const charged = keptWaiting ? 0 : (this.now() - began) / sharing;
        spent.owed += charged;
        this.all.owed += charged;
      }
    }
  }

  /** The account's debt as of `now`, or ErrorServerBusy when it may not begin another search. */
  private admitted(account: string, now: number): Spent {
    const spent = this.settled(account, now);
    if (spent.owed >= this.capacityMs) {
      const seconds = Math.max(1, Math.ceil((spent.owed - this.capacityMs + 1) / this.msPerSecond));
      throw BridgeError.serverBusy(`your searches have used their share of the directory's time; try again in ${seconds} s`, seconds);
    }
    this.all.owed = this.owedAt(this.all, now, this.allMsPerSecond);
    this.all.at = now;
    // Past everyone's share together, those that spent a quarter of their own burst lately wait; the
    // rest (a colleague's lookups, an account that searched a little a while ago) go on.
    if (this.all.owed >= this.allCapacityMs && spent.owed > this.capacityMs / 4) {
      const seconds = Math.max(1, Math.ceil((this.all.owed - this.allCapacityMs + 1) / this.allMsPerSecond));
      throw BridgeError.serverBusy(`the directory is busy with searches; try again in ${seconds} s`, seconds);
    }
    if (spent.running >= SEARCHES_AT_ONCE) throw BridgeError.serverBusy(`you have ${SEARCHES_AT_ONCE} searches in progress; try again once they are done`, 1);
    return spent;
  }

  /**
   * A search and the JSON answer made of it, charged together: writing 999 users with every
   * property cost more than finding them, and went unpaid — two logins flooding `/users`
   * held the event loop between them and neither was ever told to wait.
   */
  async json(account: string, make: () => Promise<unknown>): Promise<string> {
    return this.run(account, async () => JSON.stringify(await make()));
  }

  /** The account's debt, paid back for the time since it was last looked at; forgotten once paid and idle. */
  private settled(account: string, now: number): Spent {
    if (this.spent.size > FORGET_AFTER_ACCOUNTS) this.forgetPaid(now);
    let spent = this.spent.get(account);
    if (!spent) this.spent.set(account, (spent = { owed: 0, at: now, running: 0 }));
    spent.owed = this.owedAt(spent, now);
    spent.at = now;
    return spent;
  }

  private forgetPaid(now: number): void {
    for (const [account, spent] of this.spent) {
      if (spent.running === 0 && this.owedAt(spent, now) === 0) this.spent.delete(account);
    }
  }

  private owedAt(spent: Spent, now: number, msPerSecond = this.msPerSecond): number {
    return Math.max(0, spent.owed - ((now - spent.at) * msPerSecond) / 1000);
  }
}

/** Accounts remembered before those that owe nothing are swept out: memory stays bounded by who searched lately. */
const FORGET_AFTER_ACCOUNTS = 10_000;
