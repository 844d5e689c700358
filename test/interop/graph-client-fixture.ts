import { expect } from 'chai';
import { Client, GraphError, HTTPMessageHandler, type Context, type Middleware } from '@microsoft/microsoft-graph-client';

/**
 * Sends the bridge's credentials on every request. The client's own AuthenticationHandler
 * only authorises https Graph hosts and strips Authorization from anything else
 * (ews-wire G1), so a client of the bridge over plain http brings its own middleware.
 */
class BridgeCredentials implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly authorization: () => Promise<string>) {}

  async execute(context: Context): Promise<void> {
    const options = (context.options ??= {});
    options.headers = { ...(options.headers as Record<string, string> | undefined), Authorization: await this.authorization() };
    await this.next!.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/** The Microsoft Graph JS client, unchanged, with the bridge as its base URL. */
export function graphClient(baseUrl: string, authorization: () => Promise<string>): Client {
  const middleware = new BridgeCredentials(authorization);
  middleware.setNext(new HTTPMessageHandler());
  return Client.initWithMiddleware({ middleware, baseUrl, defaultVersion: 'v1.0' });
}

export async function graphErrorOf(request: Promise<unknown>): Promise<GraphError> {
  try {
    await request;
  } catch (error) {
    expect(error).to.be.instanceOf(GraphError);
    return error as GraphError;
  }
  expect.fail('expected a GraphError');
}
