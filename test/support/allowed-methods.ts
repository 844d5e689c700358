import type { Server } from 'node:http';
import { expect } from 'chai';
import request, { type Response } from 'supertest';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Asks `path` with every method `allow` does not name and expects each a 405 naming `allow`,
 * and an OPTIONS a 200 naming it too (RFC 9110 §15.5.6, §9.3.7). The 405s come back for a
 * look at their bodies.
 */
export async function expectOnlyAllowed(server: Server, path: string, allow: string, authorization?: string): Promise<Response[]> {
  const ask = (method: string) => {
    const req = request(server)[method.toLowerCase() as 'get'](path);
    return authorization ? req.set('Authorization', authorization) : req;
  };
  const refused = [];
  for (const method of METHODS.filter((name) => !allow.split(', ').includes(name))) {
    const res = await ask(method);
    expect([res.status, res.headers.allow], `${method} ${path}`).to.deep.equal([405, allow]);
    refused.push(res);
  }
  const options = await ask('OPTIONS');
  expect([options.status, options.headers.allow], `OPTIONS ${path}`).to.deep.equal([200, allow]);
  return refused;
}
