import { request } from 'node:http';

/** A GET's status, or the code of the error its connection ended with (ECONNRESET when the server dropped it). */
export function statusOrError(port: number, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    })
      .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
      .end();
  });
}
