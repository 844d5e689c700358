/**
 * A signal that aborts when `signal` does (with its reason) or once `ms` have passed (with
 * a TimeoutError, as AbortSignal.timeout's), and `end` to call when the work is over. Not
 * AbortSignal.timeout inside AbortSignal.any: Node 20 holds that signal only weakly, so a
 * garbage collection took it and its timer, and the limit never came (nodejs/node#57736);
 * and AbortSignal.any keeps every signal it made on a long-lived `signal` (one per lookup,
 * never freed). Here the timer and the listener are held until `end` drops both.
 */
export function timeLimit(ms: number, signal?: AbortSignal): { signal: AbortSignal; end: () => void } {
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  const follow = () => limit.abort(signal?.reason);
  if (signal?.aborted) follow();
  else signal?.addEventListener('abort', follow, { once: true });
  return {
    signal: limit.signal,
    end: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', follow);
    },
  };
}
