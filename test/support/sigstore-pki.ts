// A throwaway Sigstore PKI for tests: a Fulcio-like CA and an RFC 3161 timestamp authority made
// with @sigstore/mock, a trusted-root JSON that names them, and real DSSE bundles holding SLSA
// provenance statements signed with certificates that carry GitHub Actions' Fulcio extensions.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { initializeCA, initializeTSA } from '@sigstore/mock';

type CA = Awaited<ReturnType<typeof initializeCA>>;
type TSA = Awaited<ReturnType<typeof initializeTSA>>;

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const SLSA_V1 = 'https://slsa.dev/provenance/v1';
const INTOTO = 'application/vnd.in-toto+json';

/** The GitHub Actions run that signs: the OIDC claims Fulcio turns into certificate extensions. */
export interface Signer {
  /** owner/repo of the workflow file (Build Signer URI). */
  workflowRepo: string;
  workflowFile: string;
  workflowRef: string;
  /** owner/repo whose run it is (Source Repository URI). */
  sourceRepo?: string;
  sourceRef?: string;
  issuer?: string;
}

export interface BundleOptions {
  signer: Signer;
  /** Hex sha256 digests the statement names (default: the one being signed for). */
  subjects: string[];
  predicateType?: string;
  /** The CA's clock when it issues the certificate (default: now); certificates live 10 minutes. */
  certAt?: Date;
  /** Sign with a CA that no trusted root names. */
  rogue?: boolean;
}

export interface TestPki {
  /** The trusted Fulcio-like CA (for a Fulcio stand-in: @sigstore/mock's fulcioHandler). */
  ca: CA;
  tsa: TSA;
  /** Sets the TSA's clock to the next whole second; call before each timestamp. */
  tsaTick(): void;
  trustedRoot: Record<string, unknown>;
  bundle(opts: BundleOptions): Promise<Record<string, unknown>>;
}

const b64 = (b: ArrayBufferView | Buffer) =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

const ecKeys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** DSSE pre-authentication encoding. */
export function pae(type: string, body: Buffer): Buffer {
  const t = Buffer.from(type);
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${body.length} `), body]);
}

/** The OIDC claims GitHub Actions puts in its token, which the mock Fulcio maps to extensions. */
function certExtensions(s: Signer) {
  const gh = 'https://github.com';
  const src = s.sourceRepo ?? s.workflowRepo;
  const ref = s.sourceRef ?? s.workflowRef;
  const issuer = s.issuer ?? GITHUB_ISSUER;
  return [
    { oid: '1.3.6.1.4.1.57264.1.1', value: issuer, legacy: true },
    { oid: '1.3.6.1.4.1.57264.1.8', value: issuer },
    {
      oid: '1.3.6.1.4.1.57264.1.9',
      value: `${gh}/${s.workflowRepo}/.github/workflows/${s.workflowFile}@${s.workflowRef}`,
    },
    { oid: '1.3.6.1.4.1.57264.1.12', value: `${gh}/${src}` },
    { oid: '1.3.6.1.4.1.57264.1.14', value: ref },
    { oid: '1.3.6.1.4.1.57264.1.20', value: 'push' },
  ];
}

function trustedCa(rawCerts: (ArrayBufferView | Buffer)[], start: Date) {
  return {
    subject: { organization: 'sigstore.mock', commonName: 'test' },
    uri: 'https://example.test',
    certChain: { certificates: rawCerts.map((c) => ({ rawBytes: b64(c) })) },
    validFor: { start: start.toISOString() },
  };
}

export async function makeTestPki(): Promise<TestPki> {
  const caKeys = ecKeys();
  const ca = await initializeCA(caKeys);
  const rogueCa = await initializeCA(ecKeys());
  // The TSA reads this clock; whole seconds, since @sigstore/core parses only 3-digit fractions and
  // the TSA writes 500 ms as ".5".
  const tsaClock = new Date();
  const tsa = await initializeTSA(ecKeys(), tsaClock);
  const tsaTick = () => void tsaClock.setTime(Math.ceil(Date.now() / 1000) * 1000);
  const start = new Date(Date.now() - 7 * 86_400_000);
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    ctlogs: [],
    certificateAuthorities: [trustedCa([ca.rootCertificate], start)],
    timestampAuthorities: [trustedCa([tsa.intCertificate, tsa.rootCertificate], start)],
  };

  async function bundle(opts: BundleOptions) {
    const keys = ecKeys();
    const { signer } = opts;
    const san = `https://github.com/${signer.workflowRepo}/.github/workflows/${signer.workflowFile}@${signer.workflowRef}`;
    // The same CA key with its clock set back: the certificate it issues expired long ago.
    const certCa = opts.rogue
      ? rogueCa
      : opts.certAt
        ? await initializeCA(caKeys, undefined, opts.certAt)
        : ca;
    const cert = await certCa.issueCertificate({
      publicKey: keys.publicKey.export({ type: 'spki', format: 'der' }),
      subjectAltName: san,
      extensions: certExtensions(signer),
    });
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: opts.subjects.map((d) => ({ name: 'ghcr.io/acme/app', digest: { sha256: d } })),
        predicateType: opts.predicateType ?? SLSA_V1,
        predicate: { buildDefinition: { buildType: 'https://actions.github.io/buildtypes/workflow/v1' } },
      }),
    );
    const sig = signWith(keys.privateKey, pae(INTOTO, statement));
    tsaTick();
    const ts = await tsa.timestamp({
      artifactHash: createHash('sha256').update(sig).digest(),
      hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
      nonce: 1234,
      policyOID: '1.3.6.1.4.1.57264.2',
      certReq: false,
    });
    return {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        certificate: { rawBytes: b64(cert) },
        tlogEntries: [],
        timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: b64(ts) }] },
      },
      dsseEnvelope: {
        payload: statement.toString('base64'),
        payloadType: INTOTO,
        signatures: [{ sig: sig.toString('base64'), keyid: '' }],
      },
    };
  }
  return { ca, tsa, tsaTick, trustedRoot, bundle };
}

function signWith(key: KeyObject, data: Buffer): Buffer {
  return sign('sha256', data, key);
}
