/**
 * The version of result.json's schema, apart from the schema itself: readers and the run need the
 * number only, and importing schema.ts would load TypeBox (about 60 ms of CPU) to build definitions
 * that only the generated JSON Schema uses.
 */
export const RESULT_SCHEMA_VERSION = 1;
