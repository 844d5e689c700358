import type { z } from 'zod';
import type { Logger } from '../logger.js';
import { graphSource } from './graph.js';
import { ldapSource } from './ldap.js';
import type { PhotoSource } from './photo-source.js';
import { plugchatSource } from './plugchat.js';
import { superOfficeSource } from './superoffice.js';
import { ucwaSource } from './ucwa.js';
import { zapiSource } from './zapi.js';

/** How to read one kind of source's settings and build it. */
export interface SourceType<Settings> {
  schema: z.ZodType<Settings>;
  create(name: string, settings: Settings, log: Logger): PhotoSource;
}

/**
 * Every kind of source the bridge knows, by the `type` an operator writes in the
 * config file. Adding a source is one file under src/sources/ and one line here.
 */
export const SOURCE_TYPES: Record<string, SourceType<unknown>> = {
  ucwa: ucwaSource,
  zapi: zapiSource,
  plugchat: plugchatSource,
  superoffice: superOfficeSource,
  graph: graphSource,
  ldap: ldapSource,
};
