import { inTime } from './call-queue.js';
import { CredentialsRefusedError, MisconfiguredSourceError } from './photo-source.js';

/** The first pause after a source refused the bridge's credentials, doubled with each refusal after it… */
const FIRST_REFUSAL_PAUSE_MS = 5 * 60_000;
/** …up to this. */
const LONGEST_REFUSAL_PAUSE_MS = 60 * 60_000;

/** A lookup not sent while a source's refusal of the bridge's credentials stands (logged as quietly as an open circuit's). */
export class SourcePausedError extends MisconfiguredSourceError {}

/**
 * Keeps a source from being asked with credentials it refused. Each lookup signs in (an
 * LDAP bind, UCWA's password grant, a client secret for a token), so a wrong or rotated
 * password was tried on every lookup, and a directory's lockout threshold (often 5–10
 * tries) locked the service account out for everyone using it. Until the credentials are
 * proven by an answer, and again once a refusal's pause is over, one lookup at a time is
 * sent, the others waiting for it; a refusal (CredentialsRefusedError) fails every lookup
 * unsent for a pause that doubles with each refusal, from 5 minutes to an hour: three
 * tries in the first half hour. Any other outcome lets the lookups go on together.
 */
export class CredentialGate {
  private proven = false;
  private refusal: { reason: string; until: number } | undefined;
  private pauseMs = FIRST_REFUSAL_PAUSE_MS;
  private probe: Promise<void> | undefined;

  constructor(private readonly now: () => number) {}

  /** `signal` is the lookup's time: a lookup still waiting for the one sent first when it is up fails (NotAskedInTimeError). */
  async run<T>(lookup: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (;;) {
      const refusal = this.refusal;
      if (refusal && this.now() < refusal.until) {
        throw new SourcePausedError(`${refusal.reason}; not asked again for ${Math.ceil((refusal.until - this.now()) / 1000)} s`);
      }
      if (this.proven && !refusal) return this.watched(lookup);
      if (!this.probe) {
        const sent = this.watched(lookup);
        this.probe = sent.then(noop, noop).then(() => {
          this.probe = undefined;
        });
        return sent;
      }
      await inTime(this.probe, signal);
    }
  }

  private async watched<T>(lookup: () => Promise<T>): Promise<T> {
    try {
      const answer = await lookup();
      this.pauseMs = FIRST_REFUSAL_PAUSE_MS;
      this.proven = true;
      this.refusal = undefined;
      return answer;
    } catch (error) {
      if (error instanceof CredentialsRefusedError) {
        this.refused(error.message);
      } else if (!(error instanceof SourcePausedError)) {
        // Not refused (a timeout, a 5xx): the lookups waiting go on together, as before there
        // was a gate — one at a time, each a source's whole timeout, a source that is down
        // kept them waiting in a queue. Its breaker opens on those failures.
        this.proven = true;
        this.refusal = undefined;
      }
      throw error;
    }
  }

  private refused(reason: string): void {
    // Lookups sent together before it (a proven source whose password then changed) are refused together: one pause.
    if (this.refusal && this.now() < this.refusal.until) return;
    this.refusal = { reason, until: this.now() + this.pauseMs };
    this.pauseMs = Math.min(this.pauseMs * 2, LONGEST_REFUSAL_PAUSE_MS);
  }
}

const noop = () => undefined;
