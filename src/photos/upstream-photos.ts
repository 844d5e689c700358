import { BridgeError } from '../domain/errors.js';
import type { NormalizedPhoto, PhotoFit } from '../domain/photo.js';
import type { PhotoSize } from '../domain/size-code.js';
import type { Logger } from '../logger.js';
import { failureOf, type PhotoReference, type PhotoSource, type SourceFailure } from '../sources/photo-source.js';
import type { OrderEntry, SourceOrders } from '../sources/source-order.js';
import { clip, LOGGED_REASON_MAX } from '../domain/plain-text.js';
import { QuietRefusals, sourceNotAsked } from './quiet-refusals.js';

/** Nothing here cuts a lookup short: each source's resilience bounds its lookups from when they are asked, waiting included (resilient-source.ts). */
const NOT_CUT_SHORT = new AbortController().signal;

type UpstreamResult =
  | { kind: 'photo'; photo: NormalizedPhoto; source: string }
  /** Every source that could answer said there is no photo. */
  | { kind: 'none' }
  /** At least one source failed and none had a photo. */
  | { kind: 'failed'; failure: SourceFailure };

/** What two failures come to: unknown if either is. */
export function worseFailure(a: SourceFailure | undefined, b: SourceFailure): SourceFailure {
  return a === 'transient' ? a : b;
}

interface UpstreamStats {
  upstreamCalls: number;
  upstreamFailures: number;
}

/** One source's answers so far, by what they were. */
type SourceOutcomes = Record<UpstreamResult['kind'], number>;

/**
 * Asks the configured sources, in the operator's order, for one person's photo; the
 * first usable photo wins. Bytes from upstream pass the same checks as uploads, so
 * garbage or a decompression bomb from a source counts as that source failing.
 */
export class UpstreamPhotos {
  readonly stats: UpstreamStats = { upstreamCalls: 0, upstreamFailures: 0 };
  /** Every configured source, once, in the order first named. */
  readonly sources: readonly PhotoSource[];
  /** Answers per source name, for metrics. */
  readonly outcomes = new Map<string, SourceOutcomes>();
  private readonly names: ReadonlySet<string>;
  private readonly ownShape: ReadonlySet<string>;
  private readonly sizeOrders: Map<string, readonly OrderEntry[]>;
  private readonly refusals: QuietRefusals;

  constructor(
    private readonly order: SourceOrders,
    private readonly normalize: (bytes: Buffer) => Promise<NormalizedPhoto>,
    private readonly log: Logger,
  ) {
    this.refusals = new QuietRefusals(log);
    const sizeOrders = order.bySize ?? [];
    const sources = [...order.user, ...order.contact, ...sizeOrders.flatMap((sized) => [...(sized.user ?? []), ...(sized.contact ?? [])])].filter(
      (entry): entry is PhotoSource => typeof entry !== 'string',
    );
    this.sources = [...new Set(sources)];
    for (const source of this.sources) this.outcomesOf(source.name);
    this.names = new Set(sources.map((source) => source.name));
    this.ownShape = new Set(sources.filter((source) => source.keepsShape).map((source) => source.name));
    this.sizeOrders = new Map(
      sizeOrders.flatMap(({ size, user, contact }) => [
        ...(user ? [[sizeOrderKey('user', size), user] as const] : []),
        ...(contact ? [[sizeOrderKey('contact', size), contact] as const] : []),
      ]),
    );
  }

  servesKind(kind: PhotoReference['kind']): boolean {
    return this.order[kind].length > 0;
  }

  /** Whether a stored photo came from a source (and so goes stale), not from an upload or import. */
  isUpstream(sourceName: string): boolean {
    return this.names.has(sourceName);
  }

  /** How a photo from this source (or upload) meets a size code. */
  fitOf(sourceName: string): PhotoFit {
    return this.ownShape.has(sourceName) ? 'own-shape' : 'square';
  }

  /** The order of its own a size is answered in, if the settings give it one for this kind. */
  sizeOrder(kind: PhotoReference['kind'], size: PhotoSize): readonly OrderEntry[] | undefined {
    // Asked on every cached answer; most sites set no size orders, and the key costs a string.
    return this.sizeOrders.size === 0 ? undefined : this.sizeOrders.get(sizeOrderKey(kind, size));
  }

  /** The usual order: the first photo any source has. */
  async find(reference: PhotoReference): Promise<UpstreamResult> {
    let failure: SourceFailure | undefined;
    for (const source of this.order[reference.kind]) {
      const result = await this.ask(source, reference);
      if (result.kind === 'photo') return result;
      if (result.kind === 'failed') failure = worseFailure(failure, result.failure);
    }
    return failure ? { kind: 'failed', failure } : { kind: 'none' };
  }

  /** One source's answer, checked like an upload; "none" when it cannot look this reference up. */
  async ask(source: PhotoSource, reference: PhotoReference): Promise<UpstreamResult> {
    if (!source.accepts(reference)) return { kind: 'none' };
    this.stats.upstreamCalls++;
    const outcomes = this.outcomesOf(source.name);
    try {
      const answer = await source.fetch(reference, NOT_CUT_SHORT);
      if (answer.kind === 'none') {
        outcomes.none++;
        return answer;
      }
      const photo = answer.photo ?? (await this.normalize(answer.bytes));
      outcomes.photo++;
      return { kind: 'photo', photo, source: source.name };
    } catch (error) {
      outcomes.failed++;
      this.stats.upstreamFailures++;
      const reason = error instanceof BridgeError ? `unusable image: ${error.message}` : error instanceof Error ? error.message : String(error);
      if (sourceNotAsked(error)) this.refusals.warn(source.name, reason);
      else {
        // Clipped: a reason may quote what the upstream sent (a 19 MB host name made 19 MB log lines).
        this.log.warn({ source: source.name, reason: clip(reason, LOGGED_REASON_MAX) }, 'photo source failed; trying the next');
      }
      return { kind: 'failed', failure: failureOf(error) };
    }
  }

  private outcomesOf(name: string): SourceOutcomes {
    let outcomes = this.outcomes.get(name);
    if (!outcomes) {
      outcomes = { photo: 0, none: 0, failed: 0 };
      this.outcomes.set(name, outcomes);
    }
    return outcomes;
  }
}

function sizeOrderKey(kind: PhotoReference['kind'], size: PhotoSize): string {
  return `${kind}:${size}`;
}
