import { credentialSteps } from './check-steps.js';
import type { CheckStep, PhotoReference } from './photo-source.js';
import type { GatewayLookup, GatewayStatus } from './whatsapp-gateway.js';

/**
 * `sources check` for a WhatsApp gateway, one plain-words step per thing that can be
 * wrong: the gateway reached, the credentials, the WhatsApp session behind them, then
 * for the sample the phone number, the gateway's profile-picture answer and the photo
 * link. The first failing step ends the list: the later ones could not be tried.
 */
export async function whatsappCheck(gateway: string, lookup: GatewayLookup, sample: PhotoReference | undefined, signal: AbortSignal): Promise<CheckStep[]> {
  let status: GatewayStatus | undefined;
  const steps = await credentialSteps(gateway, async () => {
    status = await lookup.status(signal);
    return `${gateway} accepted the credentials`;
  });
  if (steps.some((step) => !step.ok)) return steps;
  steps.push(connectedStep(status!));
  if (!sample) return steps;

  const failed = (step: string, error: unknown) => [...steps, { step, ok: false, detail: error instanceof Error ? error.message : String(error) }];
  let phone: string;
  try {
    phone = lookup.phone(sample);
  } catch (error) {
    return failed('phone number', error);
  }
  steps.push({ step: 'phone number', ok: true, detail: `"${sample.whatsappPhone?.trim()}" is asked for as ${phone}` });

  let link: string | null;
  try {
    link = await lookup.link(phone, signal);
  } catch (error) {
    return failed('profile picture', error);
  }
  if (!link) return [...steps, { step: 'profile picture', ok: true, detail: `${gateway} says ${phone} has no profile photo` }];
  steps.push({ step: 'profile picture', ok: true, detail: `${gateway} handed out a photo link` });

  try {
    const result = await lookup.bytes(link, signal);
    if (result.kind === 'dead') return failed('photo link', 'WhatsApp says the photo link just handed out has expired');
    return [...steps, { step: 'photo link', ok: true, detail: `a photo of ${result.bytes.length} bytes` }];
  } catch (error) {
    return failed('photo link', error);
  }
}

/** A gateway is only as good as the WhatsApp session behind it (`GET …/status`). */
function connectedStep({ connected, said }: GatewayStatus): CheckStep {
  if (connected) return { step: 'connected', ok: true, detail: 'the WhatsApp number is connected' };
  return { step: 'connected', ok: false, detail: `the WhatsApp number is not connected${said ? `: ${said}` : ''}` };
}
