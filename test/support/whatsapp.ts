import { expect } from 'chai';
import sharp from 'sharp';
import { createLogger } from '../../src/logger.js';
import type { PhotoReference, PhotoSource } from '../../src/sources/photo-source.js';
import { SOURCE_TYPES } from '../../src/sources/registry.js';
import type { CdnRequest, WhatsappCdn } from '../simulators/whatsapp-cdn.js';
import type { GatewaySimulator } from '../simulators/whatsapp-gateway.js';
import { PLUGCHAT_TOKEN } from '../simulators/plugchat.js';
import { ZAPI } from '../simulators/zapi.js';

/** Link settings for the CDN simulator on 127.0.0.1: its certificate and the lab switch. */
function labLinks(cdn: WhatsappCdn) {
  return { linkHosts: ['127.0.0.1'], linkCaFile: cdn.caFile, allowPrivateLinkAddresses: true, maxPhotoBytes: 200_000 };
}

export function zapiSettings(gateway: GatewaySimulator, cdn: WhatsappCdn, overrides: Record<string, unknown> = {}) {
  return { baseUrl: gateway.baseUrl, ...ZAPI, ...labLinks(cdn), ...overrides };
}

export function plugchatSettings(gateway: GatewaySimulator, cdn: WhatsappCdn, overrides: Record<string, unknown> = {}) {
  return { baseUrl: gateway.baseUrl, token: PLUGCHAT_TOKEN, ...labLinks(cdn), ...overrides };
}

/** A source built as the bridge builds it: settings through the type's schema. */
export function buildSource(type: 'zapi' | 'plugchat', settings: Record<string, unknown>, name = type): PhotoSource {
  const sourceType = SOURCE_TYPES[type]!;
  return sourceType.create(name, sourceType.schema.parse(settings), createLogger('silent'));
}

export function contactWithPhone(whatsappPhone: string): PhotoReference {
  return { kind: 'contact', emails: [], whatsappPhone };
}

/** The error a promise fails with; fails the test if it does not. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  return expect.fail('expected a failure');
}

/** A 640×640 JPEG of one colour, as WhatsApp serves profile photos. */
export function colouredPhoto(r: number, g: number, b: number): Promise<Buffer> {
  return sharp({ create: { width: 640, height: 640, channels: 3, background: { r, g, b } } })
    .jpeg()
    .toBuffer();
}

async function meanColour(image: Buffer): Promise<number[]> {
  const { channels } = await sharp(image).stats();
  return channels.slice(0, 3).map((channel) => Math.round(channel.mean));
}

export async function expectColour(image: Buffer, rgb: number[]): Promise<void> {
  const mean = await meanColour(image);
  mean.forEach((value, i) => expect(Math.abs(value - rgb[i]!), `channel ${i}: ${mean.join(',')} vs ${rgb.join(',')}`).to.be.below(12));
}

/** No request the CDN saw carried anything of a gateway's credentials. */
export function expectNoCredentials(requests: readonly CdnRequest[]): void {
  const secrets = [ZAPI.instance, ZAPI.token, ZAPI.clientToken, PLUGCHAT_TOKEN];
  for (const request of requests) {
    expect(request.headers).to.not.have.any.keys('authorization', 'client-token', 'cookie');
    const seen = `${request.path} ${JSON.stringify(request.headers)}`;
    for (const secret of secrets) expect(seen).to.not.include(secret);
  }
}
