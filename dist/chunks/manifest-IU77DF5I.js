import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  InputError
} from "./chunk-SXDYCLSA.js";
import {
  setStatus
} from "./chunk-VITA26D3.js";
import {
  checkDigestManifest
} from "./chunk-2HTZ3WDJ.js";
import {
  IMAGE_NAME_RE
} from "./chunk-JL5PL23L.js";
import {
  info,
  setOutput,
  summary
} from "./chunk-RR2G3LBB.js";
import "./chunk-B54QJ254.js";

// src/modes/manifest.ts
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
var REF_RE = /^(\S+)@(sha256:[0-9a-f]{64})$/;
function parseDigestLines(text) {
  const images = {};
  const problems = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const where = `digests: line ${i + 1} ${JSON.stringify(line.length > 80 ? line.slice(0, 77) + "..." : line)}`;
    const eq = line.indexOf("=");
    const name = eq > 0 ? line.slice(0, eq).trim() : "";
    const ref = eq > 0 ? line.slice(eq + 1).trim() : "";
    const m = REF_RE.exec(ref);
    if (!name || !m)
      return void problems.push(
        `${where} is not valid; expected image-name=repo@sha256:<64 hex>, e.g. seisei-odoo18=ghcr.io/org/seisei-odoo18@sha256:...`
      );
    if (!IMAGE_NAME_RE.test(name))
      return void problems.push(
        `${where}: image name ${JSON.stringify(name)} must match [a-z0-9][a-z0-9._-]*`
      );
    if (Object.hasOwn(images, name)) return void problems.push(`${where}: image ${name} is listed twice`);
    images[name] = { ref, digest: m[2] };
  });
  if (!problems.length && !Object.keys(images).length)
    problems.push("digests: no image lines; expected image-name=repo@sha256:<64 hex>");
  if (problems.length) throw new InputError(problems);
  return images;
}
function buildDigestManifest(lines, imageTag, gitSha, now = /* @__PURE__ */ new Date()) {
  if (!/^[0-9a-f]{40}$/.test(gitSha))
    throw new InputError([
      `git_sha: ${JSON.stringify(gitSha)} is not a 40-hex commit SHA (GITHUB_SHA is used by default)`
    ]);
  const tagSha = /^sha-([0-9a-f]{7,40})$/.exec(imageTag)?.[1];
  if (tagSha && !gitSha.startsWith(tagSha))
    throw new InputError([
      `image_tag: ${imageTag} names commit ${tagSha}, but git_sha is ${gitSha}: the deploy side finds builds by that prefix, so tag the images with this commit (sha-${gitSha.slice(0, 7)}) or set git_sha`
    ]);
  const images = parseDigestLines(lines);
  return checkDigestManifest(
    {
      git_sha: gitSha,
      git_sha7: gitSha.slice(0, 7),
      built_at_utc: now.toISOString().replace(/\.\d+Z$/, "Z"),
      images: Object.fromEntries(Object.entries(images).map(([name, i]) => [name, { tag: imageTag, ...i }]))
    },
    imageTag
  );
}
async function runManifestMode(s) {
  const manifest = buildDigestManifest(s.digests, s.imageTag, s.gitSha);
  if (s.attest) {
    const { attestImages } = await import("./attest-GFSWHEWC.js");
    const refs = await attestImages(manifest, s.token ?? "");
    for (const [name, ref] of Object.entries(refs)) manifest.images[name].attestation = ref;
    checkDigestManifest(manifest, s.imageTag);
  }
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), "seisei-manifest-"));
  const file = join(dir, "image-digests.json");
  writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n");
  info(`image-digests.json for ${s.imageTag} (commit ${manifest.git_sha7}):`);
  for (const [name, img] of Object.entries(manifest.images)) info(`  ${name}: ${img.ref}`);
  setOutput("manifest", JSON.stringify(manifest));
  setOutput("manifest_file", file);
  if (s.upload) {
    const { DefaultArtifactClient } = await import("./artifact-4IUIO6CJ.js");
    const res = await new DefaultArtifactClient().uploadArtifact(s.artifact, [file], dir, {
      ...s.retentionDays ? { retentionDays: s.retentionDays } : {}
    });
    info(
      `uploaded artifact ${s.artifact} (id ${res.id}, ${res.size} bytes${res.digest ? `, sha256:${res.digest}` : ""})`
    );
    setOutput("artifact_id", String(res.id ?? ""));
  }
  setStatus("success");
  await summary.addHeading(`Digest manifest ${s.imageTag}`, 3).addTable([
    [
      { data: "image", header: true },
      { data: "ref", header: true }
    ],
    ...Object.entries(manifest.images).map(([n, i]) => [n, i.ref])
  ]).write();
}
export {
  buildDigestManifest,
  parseDigestLines,
  runManifestMode
};
