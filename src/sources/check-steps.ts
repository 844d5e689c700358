import { PermanentSourceError, type CheckStep, type PhotoReference, type SourceAnswer } from './photo-source.js';

/**
 * `sources check`'s first two steps from one authenticated call: a refusal means the
 * upstream was reached but refused the credentials; any other failure, not reached.
 * `probe` answers who the upstream took us for.
 */
export async function credentialSteps(upstream: string, probe: () => Promise<string>): Promise<CheckStep[]> {
  try {
    const who = await probe();
    return [
      { step: 'reachable', ok: true, detail: `${upstream} answered` },
      { step: 'authenticated', ok: true, detail: who },
    ];
  } catch (error) {
    if (error instanceof PermanentSourceError) {
      return [
        { step: 'reachable', ok: true, detail: `${upstream} answered` },
        { step: 'authenticated', ok: false, detail: error.message },
      ];
    }
    return [{ step: 'reachable', ok: false, detail: messageOf(error) }];
  }
}

/** The sample lookup step, when there is a sample the source can look up. */
export async function sampleStep(
  fetch: (reference: PhotoReference, signal: AbortSignal) => Promise<SourceAnswer>,
  sample: PhotoReference | undefined,
  signal: AbortSignal,
): Promise<CheckStep[]> {
  if (!sample) return [];
  try {
    const answer = await fetch(sample, signal);
    return [{ step: 'sample lookup', ok: true, detail: answer.kind === 'photo' ? `a photo of ${answer.bytes.length} bytes` : 'no photo' }];
  } catch (error) {
    return [{ step: 'sample lookup', ok: false, detail: messageOf(error) }];
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
