import { expect } from 'chai';
import { Router, type Express } from 'express';
import { createApp } from '../../src/rest/app.js';
import { GRAPH_VERSIONS } from '../../src/rest/graph-photo-path.js';
import { OPENAPI_DOCUMENT } from '../../src/rest/openapi.js';

/** A route as Express keeps it: its path (a string, a pattern, or a list of them) and its methods (`_all` for router.all). */
interface RouteLayer {
  route?: { path: string | RegExp | (string | RegExp)[]; methods: Record<string, boolean> };
  rawPath?: unknown;
  handle: { stack?: RouteLayer[] };
}

/** The app's Graph routes as the routers register them: every path and method they serve, under each version they are mounted at. */
function graphRoutes(app: Express): { path: string | RegExp; methods: string[] }[] {
  const stack = (app as unknown as { router: { stack: RouteLayer[] } }).router.stack;
  const mounted = stack.filter(
    (layer) => Array.isArray(layer.rawPath) && GRAPH_VERSIONS.every((version) => (layer.rawPath as string[]).includes(`/${version}`)),
  );
  expect(mounted, 'the Graph routers').to.not.be.empty;
  return mounted.flatMap((layer) =>
    (layer.handle.stack ?? []).flatMap(({ route }) =>
      route
        ? [route.path].flat().map((path) => ({ path, methods: Object.keys(route.methods).filter((method) => method !== '_all' && method !== 'head') }))
        : [],
    ),
  );
}

/**
 * A route's path as the document writes it, its parameters' names left out (`/users/{}`): OData's
 * key forms `users('…')` and `photos('…')` name what `users/{id}` and `photos/{size}` do, and are
 * described there.
 */
function templateOf(path: string): string {
  return path.replace(/\\\(:\w+\\\)/g, '/{}').replace(/:\w+/g, '{}');
}

const templated = (path: string) => path.replace(/\{\w+\}/g, '{}');

/** The documented paths under a version, templated, with their methods. */
function documented(version: string): Map<string, string[]> {
  const paths = OPENAPI_DOCUMENT.paths as Record<string, Record<string, unknown>>;
  return new Map(
    Object.entries(paths)
      .filter(([path]) => path.startsWith(`/${version}/`))
      .map(([path, operations]) => [templated(path.slice(version.length + 1)), Object.keys(operations)]),
  );
}

/**
 * The paths graph-contact-routes.ts serves by rewriting them to `/me/…` before its routes
 * see them: the caller's mailbox named as a user, and the Contacts folder's contacts.
 */
function alsoServedAs(template: string): string[] {
  const asUser = /^\/me\/(?:contacts|contactFolders|translateExchangeIds)(?=\/|$)/.test(template) ? [`/users/{}${template.slice(3)}`] : [];
  const inFolder = /^\/me\/contacts(?=\/|$)/.test(template)
    ? [`/me/contactFolders/{}${template.slice(3)}`, `/users/{}/contactFolders/{}${template.slice(3)}`]
    : [];
  return [template, ...asUser, ...inFolder];
}

describe('the OpenAPI document and the Graph routes', () => {
  const app = createApp({
    store: {},
    searches: {},
    photos: {},
    auth: {},
    log: {},
    accessLog: false,
    maxUploadBytes: 1,
    isDraining: () => false,
    ewsRouter: Router(),
    ids: {},
    photoMaxAgeSeconds: 1,
    selfServicePhotos: false,
    send: () => Promise.resolve({}),
  } as never);

  it('lists every path and method a Graph router serves, under each version', () => {
    const routes = graphRoutes(app);
    // The contact routes, the photo routes and the rest: the walk reaches them all.
    expect(routes.length).to.be.above(40);
    const missing: string[] = [];
    for (const version of GRAPH_VERSIONS) {
      const paths = documented(version);
      for (const { path, methods } of routes) {
        // A pattern (a bound function's forms, `delta()`…) is documented by a path it matches.
        const templates =
          typeof path === 'string' ? alsoServedAs(templateOf(path)) : [...paths.keys()].filter((template) => path.test(template.replaceAll('{}', 'x')));
        if (templates.length === 0) missing.push(`${version} ${String(path)}`);
        for (const template of templates) {
          const operations = paths.get(template);
          if (!operations) missing.push(`${version} ${template}`);
          else for (const method of methods) if (!operations.includes(method)) missing.push(`${method.toUpperCase()} ${version} ${template}`);
        }
      }
    }
    expect([...new Set(missing)]).to.deep.equal([]);
  });

  it('lists every admin and self-service path and method the app serves, and an upload’s 400, 401, 412 and 503', () => {
    /** The routes of the routers mounted at the root, as their paths are written (`/admin/users/:email`). */
    const routes = (app as unknown as { router: { stack: RouteLayer[] } }).router.stack
      .flatMap((layer) => (Array.isArray(layer.rawPath) ? [] : (layer.handle.stack ?? [])))
      .flatMap(({ route }) => (route ? [route.path].flat().map((path) => ({ path, methods: Object.keys(route.methods) })) : []))
      .filter(({ path }) => typeof path === 'string' && /^\/(?:admin|api\/me\/photo)/.test(path));
    expect(routes.map(({ path }) => path)).to.include.members(['/admin/users/:email', '/admin/users/:email/photo-lock', '/api/me/photo']);
    const paths = OPENAPI_DOCUMENT.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    const missing = routes.flatMap(({ path, methods }) =>
      methods
        .filter((method) => method !== '_all' && method !== 'head')
        .filter((method) => paths[(path as string).replace(/:(\w+)/g, '{$1}')]?.[method] === undefined)
        .map((method) => `${method.toUpperCase()} ${String(path)}`),
    );
    expect(missing).to.deep.equal([]);
    for (const path of ['/admin/users/{email}/photo', '/v1.0/users/{id}/photo/$value']) {
      expect(paths[path]!.put!.responses, path).to.include.keys('400', '401', '412', '503');
    }
    expect(paths['/api/me/photo']!.put!.responses).to.include.keys('401', '412', '503');
  });

  it('describes the query options /me/contacts reads, with its 400', () => {
    const { get } = OPENAPI_DOCUMENT.paths['/v1.0/me/contacts' as keyof typeof OPENAPI_DOCUMENT.paths] as unknown as {
      get: { parameters: { name: string }[]; responses: Record<string, unknown> };
    };
    expect(get.parameters.map(({ name }) => name)).to.have.members(['$top', '$skip', '$filter', '$orderby', '$count', '$select']);
    expect(get.responses).to.include.keys('200', '400', '401');
  });
});
