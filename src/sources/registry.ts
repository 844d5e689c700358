import type { z } from 'zod';
import type { Logger } from '../logger.js';
import type { PhotoSource } from './photo-source.js';

/** How to read one kind of source's settings and build it. */
export interface SourceType<Settings> {
  schema: z.ZodType<Settings>;
  create(name: string, settings: Settings, log: Logger): PhotoSource;
}

/**
 * Every kind of source the bridge knows, by the `type` an operator writes in the
 * config file. Adding a source is one file under src/sources/ and one line here.
 */
export const SOURCE_TYPES: Record<string, SourceType<any>> = {};
