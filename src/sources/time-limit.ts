/**
 * A signal that aborts when `signal` does or once `ms` have passed, with a TimeoutError as
 * AbortSignal.timeout's, and `end` to call when the work is over. The timer is held here
 * until `end`, not left to AbortSignal.timeout: inside AbortSignal.any, Node 20 holds that
 * signal only weakly, so a garbage collection took it and its timer, and the limit never
 * came (nodejs/node#57736).
 */
export function timeLimit(ms: number, signal?: AbortSignal): { signal: AbortSignal; end: () => void } {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  return { signal: signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal, end: () => clearTimeout(timer) };
}
