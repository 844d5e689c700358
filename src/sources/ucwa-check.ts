import { credentialSteps } from './check-steps.js';
import type { CheckStep, PhotoReference, SourceAnswer } from './photo-source.js';
import type { UcwaClient } from './ucwa-client.js';
import type { UcwaContact, UcwaPeople, UcwaPersonQuery } from './ucwa-people.js';

interface UcwaCheckParts {
  autodiscoverUrls: readonly string[];
  username: string;
  client: UcwaClient;
  people: UcwaPeople;
  personOf(reference: PhotoReference): UcwaPersonQuery;
  photoOf(contact: UcwaContact, signal: AbortSignal): Promise<SourceAnswer>;
}

/**
 * `sources check` for UCWA: the lookup's own walk, one step at a time, so the operator
 * reads which link of the chain broke — sign-in, application, people search, contact,
 * contact photo — and stops at the first that fails.
 */
export async function checkUcwa(parts: UcwaCheckParts, sample: PhotoReference | undefined, signal: AbortSignal): Promise<CheckStep[]> {
  const { client, people } = parts;
  const steps = await credentialSteps(`UCWA autodiscover at ${parts.autodiscoverUrls.join(', else ')}`, async () => {
    await client.signIn(signal);
    return `signed in as ${parts.username}`;
  });
  /** Runs one step; its value when it succeeded, else undefined and the walk ends. */
  const step = async <T>(name: string, run: () => Promise<{ value: T; detail: string }>): Promise<T | undefined> => {
    if (!steps.every((done) => done.ok)) return undefined;
    try {
      const { value, detail } = await run();
      steps.push({ step: name, ok: true, detail });
      return value;
    } catch (error) {
      steps.push({ step: name, ok: false, detail: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  };

  const application = await step('application', async () => {
    const value = await client.currentApplication(signal);
    return { value, detail: `created ${value.self}` };
  });
  if (!application || !sample) return steps;
  const person = await step('people search', async () => {
    const value = parts.personOf(sample);
    const link = await people.search(application, value, signal);
    return { value: link && { query: value, link }, detail: link ? `found ${value.key}: ${link}` : `nobody in the address book is ${value.key}, so no photo` };
  });
  if (!person) return steps;
  const contact = await step('contact', async () => {
    const value = await people.readContact(person.link, person.query, signal);
    return {
      value,
      detail: value
        ? `read ${typeof value.resource.uri === 'string' ? value.resource.uri : person.query.key} at ${value.url}`
        : 'the contact no longer exists, so no photo',
    };
  });
  if (!contact) return steps;
  await step('contact photo', async () => {
    const answer = await parts.photoOf(contact, signal);
    return { value: answer, detail: answer.kind === 'photo' ? `a photo of ${answer.bytes.length} bytes` : 'no photo' };
  });
  return steps;
}
