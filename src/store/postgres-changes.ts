import pg from 'pg';

/** The NOTIFY channel every bridge process's writes announce themselves on. */
export const CHANGES_CHANNEL = 'ews_photo_bridge_changes';

/** How long to wait before listening again after the connection was lost. */
const RECONNECT_DELAY_MS = 1000;

/**
 * How often the listening connection asks the server something, and how long it waits for
 * the answer. A connection that only listens sends nothing, so one that died without being
 * closed (a failover, a firewall dropping idle connections) would look alive for good
 * while no notification comes; TCP keepalive does not see a relay that still acknowledges.
 */
const CHECK_EVERY_MS = 5000;

/**
 * Hears the commits of other bridge processes on the same database: each write
 * transaction ends with a NOTIFY carrying its process's id (delivered only if it
 * commits), and one dedicated connection LISTENs for those of the others. Opened on
 * first use, so a one-shot CLI command never holds it. Should the connection drop,
 * commits made meanwhile went unheard: reconnecting counts as a change, so caches
 * are dropped rather than trusted.
 */
export class PostgresChanges {
  private connection: Promise<pg.Client> | undefined;
  private current: pg.Client | undefined;
  private changes = 0;
  private readonly listeners = new Set<() => void>();
  private readonly statusListeners = new Set<(listening: boolean) => void>();
  /** Times the listening connection was lost (or could not be opened again). */
  private losses = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private everConnected = false;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly ownId: string,
    private readonly checkEveryMs = CHECK_EVERY_MS,
  ) {}

  /**
   * How many commits other processes have announced so far. The round trip makes sure
   * every announcement of a commit that finished before this call has been read.
   */
  async counter(): Promise<number> {
    await this.roundTrip(await this.connect());
    return this.changes;
  }

  /** `status` hears when the listening connection is lost, and when it listens again. */
  subscribe(listener: () => void, status?: (listening: boolean) => void): () => void {
    this.listeners.add(listener);
    if (status) this.statusListeners.add(status);
    this.connect().catch(() => this.reconnectLater());
    return () => {
      this.listeners.delete(listener);
      if (status) this.statusListeners.delete(status);
    };
  }

  /** Whether other processes' commits are heard now, and how often the connection hearing them was lost. */
  status(): { listening: boolean; losses: number } {
    return { listening: this.current !== undefined, losses: this.losses };
  }

  /**
   * Says goodbye on the listening connection without waiting for the server's answer, as the
   * pool does on its idle connections: a server that froze would never give it, and hold the
   * shutdown for good.
   */
  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.checkTimer);
    void this.connection?.then((client) => client.end()).catch(() => undefined);
    this.connection = undefined;
  }

  private connect(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    this.connection ??= this.open().catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }

  private async open(): Promise<pg.Client> {
    // A connection that opens no faster than the check would answer is retried, not waited for.
    const client = new pg.Client({ ...this.config, query_timeout: this.checkEveryMs, connectionTimeoutMillis: this.checkEveryMs });
    client.on('notification', (message) => {
      if (message.payload !== this.ownId) this.changed();
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.current = client;
    this.checkTimer = setInterval(() => void this.roundTrip(client).catch(() => undefined), this.checkEveryMs);
    this.checkTimer.unref();
    if (this.everConnected) {
      this.changed();
      for (const status of this.statusListeners) status(true);
    }
    this.everConnected = true;
    return client;
  }

  private lost(client: pg.Client): void {
    // A connection that failed while opening is the caller's to retry; one already replaced is no news.
    if (this.closed || client !== this.current) return;
    this.current = undefined;
    clearInterval(this.checkTimer);
    void client.end().catch(() => undefined);
    this.connection = undefined;
    this.losses++;
    for (const status of this.statusListeners) status(false);
    this.reconnectLater();
  }

  /** A round trip; no answer within the check's interval (the connection's query_timeout) and the connection is as good as lost. */
  private async roundTrip(client: pg.Client): Promise<void> {
    try {
      await client.query('SELECT 1');
    } catch (error) {
      this.lost(client);
      throw error;
    }
  }

  private reconnectLater(): void {
    if (this.closed || this.listeners.size === 0 || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect().catch(() => this.reconnectLater());
    }, RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }

  private changed(): void {
    this.changes++;
    for (const listener of this.listeners) listener();
  }
}
