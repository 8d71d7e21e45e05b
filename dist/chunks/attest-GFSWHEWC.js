import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  info
} from "./chunk-RR2G3LBB.js";
import "./chunk-B54QJ254.js";

// src/provenance/attest.ts
async function attestImages(manifest, token) {
  if (!token)
    throw new Error(
      "attest: github_token is empty; the attestations API needs a token with attestations: write"
    );
  const { attestProvenance } = await import("./lib-RW4NDW5D.js");
  const server = process.env.GITHUB_SERVER_URL || "https://github.com";
  const repo = process.env.GITHUB_REPOSITORY ?? "";
  const refs = {};
  for (const [name, img] of Object.entries(manifest.images)) {
    const subject = {
      name: img.ref.slice(0, img.ref.lastIndexOf("@")),
      digest: { sha256: img.digest.slice(7) }
    };
    let att;
    try {
      att = await attestProvenance({ subjects: [subject], token });
    } catch (e) {
      throw new Error(
        `attest: could not attest ${name} (${img.digest}): ${e instanceof Error ? e.message : String(e)}; the job needs permissions id-token: write and attestations: write`
      );
    }
    refs[name] = att.attestationID ? `${server}/${repo}/attestations/${att.attestationID}` : `${img.digest} (attestation not stored)`;
    info(`attested ${name} ${img.digest}: ${refs[name]}`);
  }
  return refs;
}
export {
  attestImages
};
