import { BridgeError } from '../domain/errors.js';
import type { NormalizedPhoto } from '../domain/photo.js';
import type { Logger } from '../logger.js';
import type { PhotoReference, PhotoSource } from '../sources/photo-source.js';

export type UpstreamResult =
  | { kind: 'photo'; photo: NormalizedPhoto; source: string }
  /** Every source that could answer said there is no photo. */
  | { kind: 'none' }
  /** At least one source failed and none had a photo: the truth is unknown. */
  | { kind: 'failed' };

export interface UpstreamStats {
  upstreamCalls: number;
  upstreamFailures: number;
}

/**
 * Asks the configured sources, in the operator's order, for one person's photo; the
 * first usable photo wins. Bytes from upstream pass the same checks as uploads, so
 * garbage or a decompression bomb from a source counts as that source failing.
 */
export class UpstreamPhotos {
  readonly stats: UpstreamStats = { upstreamCalls: 0, upstreamFailures: 0 };
  private readonly names: ReadonlySet<string>;

  constructor(
    private readonly order: { user: readonly PhotoSource[]; contact: readonly PhotoSource[] },
    private readonly normalize: (bytes: Buffer) => Promise<NormalizedPhoto>,
    private readonly log: Logger,
  ) {
    this.names = new Set([...order.user, ...order.contact].map((source) => source.name));
  }

  servesKind(kind: PhotoReference['kind']): boolean {
    return this.order[kind].length > 0;
  }

  /** Whether a stored photo came from a source (and so goes stale), not from an upload or import. */
  isUpstream(sourceName: string): boolean {
    return this.names.has(sourceName);
  }

  async find(reference: PhotoReference): Promise<UpstreamResult> {
    let failed = false;
    for (const source of this.order[reference.kind]) {
      if (!source.accepts(reference)) continue;
      this.stats.upstreamCalls++;
      try {
        const answer = await source.fetch(reference, AbortSignal.timeout(60_000));
        if (answer.kind === 'none') continue;
        return { kind: 'photo', photo: await this.normalize(answer.bytes), source: source.name };
      } catch (error) {
        failed = true;
        this.stats.upstreamFailures++;
        const reason = error instanceof BridgeError ? `unusable image: ${error.message}` : error instanceof Error ? error.message : String(error);
        this.log.warn({ source: source.name, reason }, 'photo source failed; trying the next');
      }
    }
    return failed ? { kind: 'failed' } : { kind: 'none' };
  }
}
