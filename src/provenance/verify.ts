// The provenance check of one image digest (docs/design.md, provenance): verifies each Sigstore
// bundle GitHub stores for the digest against the trusted roots, then checks that the statement
// names this exact digest and that the signer is this repository's build workflow on an allowed
// ref, run by GitHub Actions. Pure apart from the cryptography; no network.
import { createHash } from 'node:crypto';
import { bundleFromJSON, type SerializedBundle } from '@sigstore/bundle';
import type { X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type SignedEntity } from '@sigstore/verify';

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
const INTOTO_PAYLOAD = 'application/vnd.in-toto+json';

// Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const OID_BUILD_SIGNER_URI = '1.3.6.1.4.1.57264.1.9';
const OID_SOURCE_REPO_URI = '1.3.6.1.4.1.57264.1.12';
const OID_SOURCE_REPO_REF = '1.3.6.1.4.1.57264.1.14';

/** Who may have built the images. */
export interface ProvenancePolicy {
  /** https://github.com (GITHUB_SERVER_URL) */
  serverUrl: string;
  owner: string;
  repo: string;
  /** The build workflow's file name, e.g. build_ghcr.yml. */
  workflow: string;
  /** Full refs the build may run on: refs/heads/<default branch>, plus any pattern match. */
  allowedRef: (ref: string) => boolean;
  /** How the allowed refs read in a message, e.g. "refs/heads/main". */
  allowedRefText: string;
}

/** One attestation as GitHub's API returns it. */
export interface Attestation {
  bundle: unknown;
  bundle_url?: string;
}

export interface Verified {
  digest: string;
  /** owner/repo/.github/workflows/<file> of the signing workflow. */
  signer_workflow: string;
  signer_ref: string;
  /** Where the bundle is: its URL at GitHub, or sha256 of its JSON. */
  bundle: string;
}

export class ProvenanceError extends Error {
  override name = 'ProvenanceError';
  constructor(
    readonly digest: string,
    readonly reasons: string[],
    readonly kind: 'missing' | 'rejected',
  ) {
    super(
      kind === 'missing'
        ? `${digest}: no provenance attestation found`
        : `${digest}: no attestation verified:\n${reasons.map((r) => `    - ${r}`).join('\n')}`,
    );
  }
}

/** Trusted roots from a file: one JSON document, or one per line (as `gh attestation trusted-root` prints). */
export function parseTrustedRoots(text: string): TrustedRoot[] {
  const t = text.trim();
  const docs: unknown[] = [];
  try {
    docs.push(JSON.parse(t));
  } catch {
    for (const line of t.split(/\r?\n/)) if (line.trim()) docs.push(JSON.parse(line));
  }
  return docs.map((d) => TrustedRoot.fromJSON(d));
}

/** The API's bundle_url when it is a plain https URL (it is printed and recorded), else undefined. */
export function safeUrl(url: unknown): string | undefined {
  return typeof url === 'string' && /^https?:\/\/[\x21-\x7e]{1,400}$/.test(url) ? url : undefined;
}

const hex = (digest: string) => digest.replace(/^sha256:/, '').toLowerCase();

function extText(cert: X509Certificate, oid: string): string | undefined {
  const ext = cert.extension(oid);
  return ext?.valueObj.subs[0]?.value.toString('utf8');
}

function verifyCrypto(entity: SignedEntity, roots: TrustedRoot[]): void {
  const errors: string[] = [];
  for (const root of roots) {
    try {
      new Verifier(toTrustMaterial(root), {
        tlogThreshold: root.tlogs.length ? 1 : 0,
        ctlogThreshold: root.ctlogs.length ? 1 : 0,
        timestampThreshold: 1,
      }).verify(entity);
      return;
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  throw new Error(
    `the signature does not verify against the trusted root: ${[...new Set(errors)].join('; ')}`,
  );
}

/** The in-toto statement of a DSSE bundle: its predicate type and subject digests. */
function statementOf(json: SerializedBundle): { predicateType?: string; digests: string[] } {
  const env = json.dsseEnvelope;
  if (!env) throw new Error('the bundle holds no DSSE envelope (not an attestation)');
  if (env.payloadType !== INTOTO_PAYLOAD) throw new Error(`payload type ${env.payloadType} is not in-toto`);
  const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as {
    predicateType?: string;
    subject?: { digest?: { sha256?: string } }[];
  };
  return {
    predicateType: st.predicateType,
    digests: (st.subject ?? []).map((s) => String(s.digest?.sha256 ?? '').toLowerCase()),
  };
}

/** What is wrong with the signer's identity, or nothing. */
export function identityProblems(cert: X509Certificate, p: ProvenancePolicy): string[] {
  const problems: string[] = [];
  const repoUrl = `${p.serverUrl}/${p.owner}/${p.repo}`;
  const issuer = extText(cert, OID_ISSUER_V2);
  if (issuer !== GITHUB_ACTIONS_ISSUER)
    problems.push(`issuer ${issuer ?? '(none)'} is not GitHub Actions (${GITHUB_ACTIONS_ISSUER})`);
  const signer = extText(cert, OID_BUILD_SIGNER_URI) ?? '';
  const source = extText(cert, OID_SOURCE_REPO_URI) ?? '';
  const sourceRef = extText(cert, OID_SOURCE_REPO_REF) ?? '';
  if (source.toLowerCase() !== repoUrl.toLowerCase())
    problems.push(`built in another repository: ${source || '(none)'}, expected ${repoUrl}`);
  const m = /^(.*)\/\.github\/workflows\/([^@]+)@(.+)$/.exec(signer);
  const expected = `${repoUrl}/.github/workflows/${p.workflow}@${p.allowedRefText}`;
  if (!m)
    problems.push(`signer ${signer || '(none)'} is not a GitHub Actions workflow, expected ${expected}`);
  else {
    if (m[1]!.toLowerCase() !== repoUrl.toLowerCase() || m[2] !== p.workflow)
      problems.push(`signed by another workflow: ${signer}, expected ${expected}`);
    else if (!p.allowedRef(m[3]!))
      problems.push(`signed on ref ${m[3]} (a fork's or a branch's run), expected ${p.allowedRefText}`);
  }
  if (sourceRef && !p.allowedRef(sourceRef) && !problems.some((x) => x.includes(sourceRef)))
    problems.push(`built from ref ${sourceRef}, expected ${p.allowedRefText}`);
  if (cert.subjectAltName !== signer)
    problems.push(
      `certificate identity ${cert.subjectAltName ?? '(none)'} differs from its build signer ${signer}`,
    );
  return problems;
}

/** Checks one bundle; returns what it proves or throws what did not match. */
export function verifyBundle(
  digest: string,
  att: Attestation,
  roots: TrustedRoot[],
  p: ProvenancePolicy,
): Verified {
  const json = att.bundle as SerializedBundle;
  const bundle = bundleFromJSON(json);
  const st = statementOf(json);
  const problems: string[] = [];
  if (!st.digests.includes(hex(digest)))
    problems.push(
      `the statement is for another digest: ${st.digests.map((d) => `sha256:${d}`).join(', ') || '(none)'}`,
    );
  if (st.predicateType !== SLSA_PROVENANCE_V1)
    problems.push(`predicate type ${st.predicateType ?? '(none)'} is not SLSA provenance v1`);
  const entity = toSignedEntity(bundle);
  verifyCrypto(entity, roots);
  if (entity.key.$case !== 'certificate') throw new Error('signed with a bare key, not a Fulcio certificate');
  const cert = entity.key.certificate;
  problems.push(...identityProblems(cert, p));
  if (problems.length) throw new Error(problems.join('; '));
  const signer = extText(cert, OID_BUILD_SIGNER_URI)!;
  const at = signer.lastIndexOf('@');
  return {
    digest: `sha256:${hex(digest)}`,
    signer_workflow: signer.slice(p.serverUrl.length + 1, at),
    signer_ref: signer.slice(at + 1),
    bundle:
      safeUrl(att.bundle_url) ??
      `sha256:${createHash('sha256').update(JSON.stringify(att.bundle)).digest('hex')}`,
  };
}

/** The first attestation of `digest` that verifies; otherwise a ProvenanceError naming each failure. */
export function verifyDigest(
  digest: string,
  attestations: Attestation[],
  roots: TrustedRoot[],
  p: ProvenancePolicy,
): Verified {
  digest = `sha256:${hex(digest)}`;
  if (!attestations.length) throw new ProvenanceError(digest, [], 'missing');
  const reasons: string[] = [];
  for (const [i, att] of attestations.entries()) {
    try {
      return verifyBundle(digest, att, roots, p);
    } catch (e) {
      reasons.push(
        `attestation ${i + 1}${safeUrl(att.bundle_url) ? ` (${safeUrl(att.bundle_url)})` : ''}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  throw new ProvenanceError(digest, reasons, 'rejected');
}

/** refs/heads/<default branch>, or a ref matching the pattern (`*` matches any run of characters). */
export function refMatcher(
  defaultBranch: string,
  pattern?: string,
): Pick<ProvenancePolicy, 'allowedRef' | 'allowedRefText'> {
  const main = `refs/heads/${defaultBranch}`;
  const re = pattern
    ? new RegExp(
        `^${pattern
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      )
    : undefined;
  return {
    allowedRef: (ref) => ref === main || (re?.test(ref) ?? false),
    allowedRefText: pattern ? `${main} or ${pattern}` : main,
  };
}
