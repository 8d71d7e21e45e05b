// The JSON Schema check of the digest manifest, compiled by ajv at first use. The bundles replace
// this module with the code ajv generates from the same schema and options at build time
// (scripts/build.mjs, ajv's standalone mode), so dist/ never compiles the schema at run time: that
// took ≈ 40 ms of every deploy and every action run.
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import schema from '../schema/image-digests.schema.json';

export const AJV_OPTIONS = { allErrors: true, strict: true } as const;

let validator: ValidateFunction | undefined;
export function schemaValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv(AJV_OPTIONS);
    addFormats(ajv);
    validator = ajv.compile(schema);
  }
  return validator;
}
