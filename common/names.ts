// Names that cross the trust boundary (section 2 of DESIGN.md). Every one is checked on both sides.
import * as z from 'zod';

export const STACK_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const ENV_RE = /^[a-z][a-z0-9-]{0,31}$/;
export const IMAGE_NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;
export const ENV_VAR_RE = /^[A-Z_][A-Z0-9_]{0,63}$/;
export const RUN_KEY_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** `<tag>__<UTC second>`, with `-N` when that second's name was taken (remote/domain/release-id.ts). */
export const RELEASE_ID_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}__\d{8}T\d{6}Z(?:-[2-9]|-[1-9]\d{1,3})?$/;

const show = (v: string) => JSON.stringify(v.length > 80 ? v.slice(0, 77) + '...' : v);

export const stackName = z.string().refine((v) => STACK_RE.test(v), {
  error: (i) =>
    `stack ${show(String(i.input))} is not a valid stack name: use 1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit (e.g. odoo18-prod)`,
});
export const imageTag = z.string().refine((v) => TAG_RE.test(v), {
  error: (i) =>
    `image_tag ${show(String(i.input))} is not a valid Docker tag: use 1-128 characters of A-Z, a-z, 0-9, '_', '.' and '-', not starting with '.' or '-' (e.g. sha-abc1234)`,
});
export const envName = z.string().refine((v) => ENV_RE.test(v), {
  error: (i) =>
    `environment ${show(String(i.input))} is not a valid environment name: use 1-32 characters of a-z, 0-9 and '-', starting with a letter (e.g. staging, production)`,
});
export const runKey = z.string().refine((v) => RUN_KEY_RE.test(v), {
  error: () => `run key must be 1-128 characters of A-Z, a-z, 0-9, '_', '.' and '-'`,
});

/** One-line free text (actor, run id, reason, note): printable, bounded, stored literally. */
export const freeText = (field: string, max: number) =>
  z
    .string()
    .max(max, { error: `${field} is longer than ${max} characters` })
    // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
    .refine((v) => !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(v), {
      error: `${field} contains control characters; use plain text on one line`,
    });

/** The one rule for a path either side is given: absolute, no `..` segment, no NUL or line break. */
export const isSafeAbsPath = (p: string): boolean =>
  p.startsWith('/') && !p.split('/').includes('..') && !/[\0\n\r]/.test(p);

/** `ENV_VAR=image-name` mappings from the `images` input. */
export const imageMapping = z.record(
  z.string().regex(ENV_VAR_RE, { error: 'image variable names are upper-case shell names like IMAGE_REF' }),
  z.string().regex(IMAGE_NAME_RE, { error: 'image names are [a-z0-9][a-z0-9._-]*' }),
);
export type ImageMapping = z.infer<typeof imageMapping>;
