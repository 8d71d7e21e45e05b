// Property tests (issue 6 item 8) of the validators at the trust boundary: names, the digest
// manifest and the .env pinning. Each property compares against an independent statement of the rule.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse as parseDotenv } from 'dotenv';
import { ManifestError, checkDigestManifest } from '../../common/digest-manifest.js';
import { envName, imageTag, stackName } from '../../common/names.js';
import { pinEnv } from '../../remote/domain/stack-config.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';
/** Characters that matter at a trust boundary, plus the allowed ones so that valid names come up often. */
const NASTY = [
  '/',
  '.',
  '..',
  '-',
  '_',
  ' ',
  '$',
  '(',
  ')',
  '`',
  ';',
  '|',
  '&',
  '\n',
  '\0',
  '\\',
  '\u200b',
  'ｓ',
  'é',
  'A',
  'a',
  '0',
];
const candidate = fc.oneof(
  fc.string({ unit: fc.constantFrom(...(LOWER + DIGITS + '_-').split('')), maxLength: 70 }),
  fc.string({ unit: fc.constantFrom(...(LOWER + UPPER + DIGITS + '_.-').split('')), maxLength: 140 }),
  fc.string({ unit: fc.constantFrom(...NASTY), maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** The rules of DESIGN.md section 2, written out character by character. */
function followsRule(v: string, first: string, rest: string, max: number): boolean {
  if (v.length < 1 || v.length > max) return false;
  if (!first.includes(v[0]!)) return false;
  return [...v.slice(1)].every((c) => rest.includes(c));
}
const isStack = (v: string) => followsRule(v, LOWER + DIGITS, LOWER + DIGITS + '_-', 63);
const isTag = (v: string) =>
  followsRule(v, LOWER + UPPER + DIGITS + '_', LOWER + UPPER + DIGITS + '_.-', 128);
const isEnv = (v: string) => followsRule(v, LOWER, LOWER + DIGITS + '-', 32);

describe('name validators (property)', () => {
  for (const [name, schema, rule] of [
    ['stack', stackName, isStack],
    ['image tag', imageTag, isTag],
    ['environment', envName, isEnv],
  ] as const) {
    it(`${name}: accepted exactly when the rule says so`, () => {
      fc.assert(
        fc.property(candidate, (v) => {
          assert.equal(schema.safeParse(v).success, rule(v), JSON.stringify(v));
        }),
        { numRuns: 2000 },
      );
    });

    it(`${name}: an accepted value is one safe path component with no shell meaning`, () => {
      fc.assert(
        fc.property(candidate, (v) => {
          fc.pre(schema.safeParse(v).success);
          const p = path.join('/srv/releases/stacks', v);
          assert.equal(path.dirname(p), '/srv/releases/stacks');
          assert.equal(path.basename(p), v);
          assert.doesNotMatch(v, /[\s$`;|&()<>\\'"*?\0]/);
          assert.ok(!v.startsWith('-') && !v.startsWith('.'));
        }),
        { numRuns: 1000 },
      );
    });
  }

  it('a rejection always says which field and what the rule is', () => {
    fc.assert(
      fc.property(candidate, (v) => {
        const r = stackName.safeParse(v);
        if (!r.success)
          assert.match(r.error.issues[0]!.message, /is not a valid stack name: use 1-63 characters/);
      }),
    );
  });
});

// ---- digest manifest ----

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const imageName = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);
const repo = fc.stringMatching(/^[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}$/);
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}$/);

const validManifest = fc
  .record({
    sha: hex(40),
    tag,
    images: fc.dictionary(imageName, fc.record({ repo, digest: hex(64) }), { minKeys: 1, maxKeys: 4 }),
  })
  .map(({ sha, tag, images }) => ({
    tag,
    manifest: {
      git_sha: sha,
      git_sha7: sha.slice(0, 7),
      built_at_utc: '2026-01-31T12:00:00Z',
      images: Object.fromEntries(
        Object.entries(images).map(([name, i]) => [
          name,
          { tag, ref: `ghcr.io/org/${i.repo}@sha256:${i.digest}`, digest: `sha256:${i.digest}` },
        ]),
      ),
    },
  }));

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof ManifestError, `expected a ManifestError, got ${String(err)}`);
    return err.problems;
  }
  return [];
};

describe('digest manifest checks (property)', () => {
  it('every well-formed manifest is accepted for its own tag', () => {
    fc.assert(
      fc.property(validManifest, ({ tag, manifest }) => {
        assert.deepEqual(checkDigestManifest(structuredClone(manifest), tag), manifest);
      }),
    );
  });

  it('any JSON value is either a manifest or refused with a ManifestError, never a crash', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        problems(() => checkDigestManifest(v, 'sha-abc1234'));
      }),
      { numRuns: 1000 },
    );
  });

  it('another tag, a foreign digest in a ref or a git_sha7 that is no prefix: each named in its own problem', () => {
    fc.assert(
      fc.property(validManifest, fc.nat(), hex(64), (m, pick, other) => {
        const names = Object.keys(m.manifest.images);
        const name = names[pick % names.length]!;
        const retag = structuredClone(m.manifest);
        retag.images[name]!.tag = `${m.tag}x`.slice(-128);
        if (retag.images[name]!.tag !== m.tag)
          assert.ok(
            problems(() => checkDigestManifest(retag, m.tag)).some((p) =>
              p.startsWith(`$.images.${name}.tag:`),
            ),
          );
        const reref = structuredClone(m.manifest);
        fc.pre(`sha256:${other}` !== reref.images[name]!.digest);
        reref.images[name]!.ref = reref.images[name]!.ref.replace(/sha256:[0-9a-f]{64}$/, `sha256:${other}`);
        assert.ok(
          problems(() => checkDigestManifest(reref, m.tag)).some((p) =>
            p.startsWith(`$.images.${name}.ref:`),
          ),
        );
        const resha = structuredClone(m.manifest);
        resha.git_sha7 = resha.git_sha7 === '0000000' ? '1111111' : '0000000';
        if (!resha.git_sha.startsWith(resha.git_sha7))
          assert.ok(
            problems(() => checkDigestManifest(resha, m.tag)).some((p) => p.startsWith('$.git_sha7:')),
          );
      }),
    );
  });
});

// ---- pinEnv ----

const envVarName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/);
const plainValue = fc.stringMatching(/^[A-Za-z0-9_./:@-]{0,20}$/);
const envLine = fc.oneof(
  fc.tuple(envVarName, plainValue).map(([k, v]) => `${k}=${v}`),
  fc.tuple(envVarName, plainValue).map(([k, v]) => `export ${k}=${v}`),
  fc.stringMatching(/^#[^\n\r]{0,20}$/),
  fc.constant(''),
  fc.constant('  '),
);
const refs = fc.dictionary(
  fc.constantFrom('IMAGE_REF', 'OCR_IMAGE_REF', 'WORKER_IMAGE_REF'),
  hex(64).map((h) => `ghcr.io/org/app@sha256:${h}`),
  { minKeys: 1 },
);
const assigns = (line: string) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];

describe('pinEnv (property)', () => {
  it('keeps every other line byte for byte and in order, and pins every image variable', () => {
    fc.assert(
      fc.property(fc.array(envLine, { maxLength: 15 }), fc.boolean(), refs, (lines, newline, r) => {
        const source = lines.join('\n') + (newline && lines.length ? '\n' : '');
        const out = pinEnv(source, r);
        assert.ok(out.endsWith('\n'));
        const keep = (l: string) => !(assigns(l) && assigns(l)! in r);
        const sourceLines = source.length ? source.replace(/\n$/, '').split('\n') : [];
        assert.deepEqual(out.replace(/\n$/, '').split('\n').filter(keep), sourceLines.filter(keep));
        const parsed = parseDotenv(out);
        for (const [name, ref] of Object.entries(r)) assert.equal(parsed[name], ref, name);
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.array(envLine, { maxLength: 15 }), refs, (lines, r) => {
        const once = pinEnv(lines.join('\n'), r);
        assert.equal(pinEnv(once, r), once);
      }),
    );
  });
});
