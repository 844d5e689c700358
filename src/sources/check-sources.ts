import { oneTerminalLine } from '../domain/plain-text.js';
import type { Logger } from '../logger.js';
import type { CheckStep, PhotoReference } from './photo-source.js';
import { SOURCE_TYPES } from './registry.js';
import type { SourceSettings } from './source-settings.js';

interface SourceCheck {
  name: string;
  type: string;
  steps: CheckStep[];
}

/**
 * Tries every configured source once, without retries or breakers, so the operator
 * sees exactly what each upstream says: reachable, authenticated, and what a sample
 * lookup finds. A source that throws is reported, not allowed to stop the others.
 */
export async function checkSources(settings: SourceSettings, sample: PhotoReference | undefined, log: Logger, timeoutMs: number): Promise<SourceCheck[]> {
  return Promise.all(
    settings.sources.map(async ({ name, type, settings: sourceSettings }) => {
      const source = SOURCE_TYPES[type]!.create(name, sourceSettings, log);
      try {
        return { name, type, steps: await source.check(sample && source.accepts(sample) ? sample : undefined, AbortSignal.timeout(timeoutMs)) };
      } catch (error) {
        return { name, type, steps: [{ step: 'check', ok: false, detail: error instanceof Error ? error.message : String(error) }] };
      }
    }),
  );
}

/** Plain words, one line per step. */
export function formatChecks(checks: readonly SourceCheck[]): string {
  if (checks.length === 0) return 'no photo sources are configured (see "Photo sources" in the README)\n';
  return (
    checks
      // An upstream's words, as its error text gave them: an ESC or a direction override there would drive the operator's terminal.
      .map(({ name, type, steps }) =>
        [`${name} (${type})`, ...steps.map((s) => `  ${s.ok ? 'ok  ' : 'FAIL'} ${s.step}: ${oneTerminalLine(s.detail)}`)].join('\n'),
      )
      .join('\n')
      .concat('\n')
  );
}
