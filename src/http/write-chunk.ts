import type { ServerResponse } from 'node:http';

/**
 * Writes one part of an answer sent in parts, waiting for the client to take it when the
 * socket's buffer is full: a large answer is never held whole in that buffer. Rejects once the
 * client has gone, which the caller's error path tells from a failure of its own.
 */
export function writeChunk(res: ServerResponse, chunk: string): Promise<void> | void {
  if (res.destroyed) throw new Error('the client went away');
  if (res.write(chunk)) return;
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      res.off('drain', done).off('close', closed);
      if (error) reject(error);
      else resolve();
    };
    const closed = () => done(new Error('the client went away'));
    res.once('drain', done).once('close', closed);
  });
}
