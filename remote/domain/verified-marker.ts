// The verified marker `<root>/releases/verified/<tag>` (DESIGN.md section 6): its schema and the
// one reader the gate and `verify` share. Empty (made by `touch`) or a JSON object whose optional
// `digests` maps image names to sha256 digests.
import * as z from 'zod';

export interface VerifiedMarker {
  image_tag: string;
  digests: Record<string, string>;
  verified_at: string;
  verified_by: string;
  note: string;
}

const IS_NOT_A_DIGEST = 'is not a sha256 digest';
const digest = z
  .string({ error: IS_NOT_A_DIGEST })
  .regex(/^sha256:[0-9a-f]{64}$/, { error: IS_NOT_A_DIGEST });
const marker = z.looseObject(
  {
    digests: z
      .record(z.string(), digest, { error: '"digests" is not an object of image name to digest' })
      .optional(),
  },
  { error: 'not a JSON object' },
);

/** A marker as read back: its digests checked; the other fields are what a person wrote. */
export type StoredMarker = z.infer<typeof marker> & Partial<Omit<VerifiedMarker, 'digests'>>;

export type MarkerText =
  | { kind: 'empty' }
  | { kind: 'marker'; marker: StoredMarker }
  /** `why`: not JSON, or not of the marker's shape (which field). */
  | { kind: 'invalid'; json: boolean; why: string };

export function parseMarker(text: string): MarkerText {
  if (!text.trim()) return { kind: 'empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', json: false, why: 'neither empty nor JSON' };
  }
  const parsed = marker.safeParse(Array.isArray(value) ? null : value);
  // The object as parsed, not zod's copy: that one drops an own `__proto__` key.
  if (parsed.success) return { kind: 'marker', marker: value as StoredMarker };
  const issue = parsed.error.issues[0]!;
  const why = issue.path.length > 1 ? `${issue.path.join('.')} ${issue.message}` : issue.message;
  return { kind: 'invalid', json: true, why };
}
