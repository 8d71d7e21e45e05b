import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  safeText
} from "./chunk-5XLKRPSF.js";
import {
  ManifestError,
  parseDigestManifest
} from "./chunk-2HTZ3WDJ.js";
import "./chunk-JL5PL23L.js";
import {
  info,
  warning
} from "./chunk-RR2G3LBB.js";
import "./chunk-B54QJ254.js";

// src/digests/load.ts
import { readFile as readFile2 } from "node:fs/promises";

// src/digests/artifact.ts
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

// src/digests/errors.ts
var DigestError = class extends Error {
  name = "DigestError";
};
function statusOf(err) {
  const s = err?.status;
  return typeof s === "number" ? s : void 0;
}
function isNotFound(err) {
  return err?.name === "ArtifactNotFoundError" || statusOf(err) === 404;
}
var PERMISSION_HINT = 'github_token needs the "actions: read" permission (permissions: actions: read) to read artifacts and runs';
function repoOf(src, why) {
  if (!src.repository) throw new DigestError(`GITHUB_REPOSITORY is not set; it is needed to ${why}`);
  return src.repository;
}
function tokenOf(src, why) {
  if (!src.token)
    throw new DigestError(
      `github_token: required to ${why} (default: \${{ github.token }}); ${PERMISSION_HINT}`
    );
  return src.token;
}
var apiProblem = (err) => statusOf(err) ? `HTTP ${statusOf(err)}: ${err.message}` : err.message;

// src/digests/unzip.ts
import { crc32, inflateRawSync } from "node:zlib";
var ZipError = class extends Error {
  name = "ZipError";
};
var EOCD = 101010256;
var CDIR = 33639248;
var LOCAL = 67324752;
function isZip(buf) {
  return buf.length >= 4 && buf.readUInt32LE(0) === LOCAL;
}
function listZip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError("not a zip archive (no end of central directory record)");
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  let p = buf.readUInt32LE(eocd + 16);
  if (p + cdSize > eocd) throw new ZipError("corrupt zip archive (central directory out of range)");
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CDIR)
      throw new ZipError("corrupt zip archive (bad central directory entry)");
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const e = {
      flags: buf.readUInt16LE(p + 8),
      method: buf.readUInt16LE(p + 10),
      crc: buf.readUInt32LE(p + 16),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      localOffset: buf.readUInt32LE(p + 42),
      name: buf.subarray(p + 46, p + 46 + nameLen).toString("utf8")
    };
    if (e.compressedSize === 4294967295 || e.size === 4294967295 || e.localOffset === 4294967295)
      throw new ZipError("zip64 archives are not supported for the digest artifact");
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
function readZipEntry(buf, entry, maxSize = 1 << 20) {
  if (entry.flags & 1) throw new ZipError(`${entry.name}: encrypted zip entries are not supported`);
  if (entry.size > maxSize)
    throw new ZipError(`${entry.name}: ${entry.size} bytes is larger than the ${maxSize}-byte limit`);
  const p = entry.localOffset;
  if (p + 30 > buf.length || buf.readUInt32LE(p) !== LOCAL)
    throw new ZipError(`${entry.name}: corrupt zip archive (bad local header)`);
  const start = p + 30 + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  const end = start + entry.compressedSize;
  if (end > buf.length) throw new ZipError(`${entry.name}: corrupt zip archive (truncated data)`);
  const raw = buf.subarray(start, end);
  let data;
  if (entry.method === 0) data = Buffer.from(raw);
  else if (entry.method === 8) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: maxSize });
    } catch (err) {
      throw new ZipError(`${entry.name}: cannot be decompressed (${err.message})`);
    }
  } else throw new ZipError(`${entry.name}: unsupported compression method ${entry.method}`);
  if (data.length !== entry.size || crc32(data) >>> 0 !== entry.crc >>> 0)
    throw new ZipError(`${entry.name}: corrupt zip archive (size or CRC-32 mismatch)`);
  return data;
}

// src/digests/artifact.ts
var MANIFEST_FILE = "image-digests.json";
function normalizeDigest(d) {
  if (!d) return void 0;
  return /^[0-9a-f]{64}$/i.test(d) ? `sha256:${d.toLowerCase()}` : d.toLowerCase();
}
function manifestTextFromArtifact(bytes, artifactName) {
  if (!isZip(bytes)) return bytes.toString("utf8");
  const entries = listZip(bytes).filter((e) => !e.name.endsWith("/"));
  const named = entries.filter((e) => basename(e.name) === MANIFEST_FILE);
  const entry = named.length === 1 ? named[0] : entries.length === 1 ? entries[0] : void 0;
  if (!entry)
    throw new DigestError(
      `artifact ${artifactName} does not hold exactly one ${MANIFEST_FILE} (it has: ${entries.map((e) => e.name).join(", ") || "no files"})`
    );
  return readZipEntry(bytes, entry).toString("utf8");
}
async function downloadFromRun(src, deps, where, findBy) {
  const backend = await deps.artifacts();
  let info2;
  try {
    info2 = await backend.getArtifact(src.artifact, findBy);
  } catch (err) {
    const status = statusOf(err);
    if (isNotFound(err) || status === 401 || status === 403)
      throw new DigestError(
        `artifact "${src.artifact}" was not found in ${where}${status ? ` (HTTP ${status})` : ""}: check that the build uploaded it under that name (input digest_artifact), that it has not expired, and that ${PERMISSION_HINT}`
      );
    throw new DigestError(`cannot look up artifact "${src.artifact}" in ${where}: ${err.message}`);
  }
  const expected = normalizeDigest(info2.digest);
  const dir = await mkdtemp(join(deps.env.RUNNER_TEMP || tmpdir(), "seisei-digests-"));
  try {
    let mismatch;
    try {
      ({ digestMismatch: mismatch } = await backend.download(info2.id, {
        path: dir,
        findBy,
        expectedHash: expected
      }));
    } catch (err) {
      throw new DigestError(
        `cannot download artifact "${src.artifact}" (id ${info2.id}) of ${where}: ${err.message}`
      );
    }
    const files = await readdir(dir);
    if (files.length !== 1)
      throw new DigestError(
        `downloading artifact "${src.artifact}" (id ${info2.id}) of ${where} produced ${files.length} files, expected one`
      );
    const bytes = await readFile(join(dir, files[0]));
    const actual = "sha256:" + createHash("sha256").update(bytes).digest("hex");
    if (expected) {
      if (mismatch || actual !== expected)
        throw new DigestError(
          `artifact "${src.artifact}" (id ${info2.id}) of ${where} is corrupt or was altered: its SHA-256 is ${actual} but GitHub recorded ${expected} at upload; refusing to use it`
        );
      info(`Artifact hash verified: ${actual}`);
    } else {
      warning(
        `artifact "${src.artifact}" (id ${info2.id}) of ${where} has no recorded digest (uploaded by an old upload-artifact?); its hash cannot be verified (downloaded ${actual})`
      );
    }
    try {
      return { text: manifestTextFromArtifact(bytes, src.artifact), info: info2 };
    } catch (err) {
      throw new DigestError(
        `artifact "${src.artifact}" (id ${info2.id}) of ${where}: ${err.message}`
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
function findByFor(src, runId, why) {
  const { owner, repo } = repoOf(src, why);
  return { token: tokenOf(src, why), workflowRunId: runId, repositoryOwner: owner, repositoryName: repo };
}

// src/digests/build-run.ts
var TRUSTED_EVENTS = ["push", "workflow_dispatch", "release", "schedule"];
function shaOfTag(tag) {
  return /^sha-([0-9a-f]{7,40})$/.exec(tag)?.[1];
}
var newestFirst = (a, b) => (Date.parse(b.created_at ?? "") || 0) - (Date.parse(a.created_at ?? "") || 0) || b.id - a.id;
function globToRegExp(glob) {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
var sameRepo = (r, repo) => !!r && typeof r.full_name === "string" && r.full_name.toLowerCase() === repo.full_name.toLowerCase() && (repo.id === void 0 || r.id === void 0 || r.id === repo.id);
function judgeRun(run, rules) {
  const why = [];
  if (run.conclusion !== "success")
    why.push(`its conclusion is ${run.conclusion ?? "not known"}, not success`);
  if (run.head_sha.toLowerCase() !== rules.sha)
    why.push(`it built commit ${run.head_sha}, not ${rules.sha} (only the short SHA matches)`);
  if (!sameRepo(run.head_repository, rules.repo))
    why.push(
      `its code came from ${run.head_repository?.full_name ?? "an unknown repository"}, not ${rules.repo.full_name}`
    );
  if (run.repository && !sameRepo(run.repository, rules.repo))
    why.push(`it ran in ${run.repository.full_name ?? "another repository"}, not ${rules.repo.full_name}`);
  if (!TRUSTED_EVENTS.includes(run.event ?? ""))
    why.push(`it was triggered by ${run.event ?? "an unknown event"}, not ${TRUSTED_EVENTS.join(", ")}`);
  if (why.length) return { ok: false, why };
  const branch = run.head_branch ?? "";
  if (branch === rules.repo.default_branch || rules.branches.some((g) => globToRegExp(g).test(branch)))
    return { ok: true };
  if (!branch) return { ok: false, why: ["it names no branch or tag"] };
  return { ok: "if-tag", tag: branch };
}
var describeRun = (r) => `run ${r.id} (${r.event ?? "?"} from ${r.head_repository?.full_name ?? "?"}, ${r.head_branch ? `ref ${r.head_branch}` : "no ref"})`;
async function resolveCommit(src, hex, imageTag, runs) {
  if (hex.length === 40) return hex;
  if (src.gitSha) {
    if (!src.gitSha.startsWith(hex))
      throw new DigestError(
        `git_sha ${src.gitSha} is not the commit of image_tag ${imageTag} (it does not start with ${hex})`
      );
    return src.gitSha;
  }
  const { owner, repo } = repoOf(src, `resolve the commit of ${imageTag}`);
  let sha;
  try {
    sha = (await runs.commitSha({ owner, repo, ref: hex })).toLowerCase();
  } catch (err) {
    throw new DigestError(
      `cannot resolve commit ${hex} of image_tag ${imageTag} in ${owner}/${repo} (${apiProblem(err)}); set git_sha to the full commit SHA (or build_run_id)`
    );
  }
  if (!/^[0-9a-f]{40}$/.test(sha) || !sha.startsWith(hex))
    throw new DigestError(
      `GitHub resolved ${hex} of image_tag ${imageTag} to ${JSON.stringify(sha.slice(0, 60))}, not a commit starting with ${hex}; set git_sha to the full commit SHA`
    );
  return sha;
}
async function findBuildRun(src, imageTag, deps) {
  const hex = shaOfTag(imageTag);
  if (!hex)
    throw new DigestError(
      `cannot find the build of image_tag "${imageTag}": only tags of the form sha-<commit sha> can be looked up; set build_run_id or digest_file`
    );
  const why = `find the build run of ${imageTag}`;
  const { owner, repo } = repoOf(src, why);
  const runs = await deps.runs(tokenOf(src, why));
  let repoInfo;
  try {
    repoInfo = await runs.repository({ owner, repo });
  } catch (err) {
    throw new DigestError(
      `cannot read repository ${owner}/${repo} to ${why} (${apiProblem(err)}); ${PERMISSION_HINT}`
    );
  }
  const rules = {
    repo: repoInfo,
    sha: await resolveCommit(src, hex, imageTag, runs),
    branches: src.buildBranches ?? []
  };
  const perPage = 100;
  const seen = /* @__PURE__ */ new Map();
  const skipped = /* @__PURE__ */ new Map();
  const tagChecked = /* @__PURE__ */ new Map();
  for (let page = 1; page <= deps.maxPages; page++) {
    let batch;
    try {
      batch = await runs.listSuccessfulRuns({
        owner,
        repo,
        workflow: src.buildWorkflow,
        headSha: rules.sha,
        page,
        perPage
      });
    } catch (err) {
      const status = statusOf(err);
      throw new DigestError(
        status === 404 || status === 403 || status === 401 ? `workflow "${src.buildWorkflow}" (input build_workflow) was not found in ${owner}/${repo} (HTTP ${status}); check the file name and that ${PERMISSION_HINT}` : `cannot list runs of workflow "${src.buildWorkflow}" in ${owner}/${repo}: ${err.message}`
      );
    }
    for (const r of batch) seen.set(r.id, r);
    for (const run of [...seen.values()].sort(newestFirst)) {
      if (skipped.has(run.id)) continue;
      const verdict = judgeRun(run, rules);
      if (verdict.ok === true) return run;
      if (verdict.ok === false) {
        if (run.head_sha.toLowerCase().startsWith(hex)) skipped.set(run.id, verdict.why.join("; "));
        else skipped.set(run.id, "");
        continue;
      }
      let isTag = tagChecked.get(run.id);
      if (isTag === void 0) {
        try {
          isTag = await runs.tagAt({ owner, repo, tag: verdict.tag, sha: rules.sha });
        } catch (err) {
          throw new DigestError(
            `cannot check whether ${verdict.tag} is a tag of ${owner}/${repo} (${apiProblem(err)})`
          );
        }
        tagChecked.set(run.id, isTag);
      }
      if (isTag) return run;
      skipped.set(
        run.id,
        `${verdict.tag} is not the default branch ${rules.repo.default_branch}, matches no build_branches pattern${rules.branches.length ? ` (${rules.branches.join(", ")})` : ""} and is not a tag at the commit`
      );
    }
    if (batch.length < perPage) break;
  }
  const named = [...seen.values()].sort(newestFirst).filter((r) => skipped.get(r.id));
  const list = named.slice(0, 20).map((r) => `
  - ${describeRun(r)}: ${skipped.get(r.id)}`).join("");
  throw new DigestError(
    `no run of workflow "${src.buildWorkflow}" in ${owner}/${repo} can supply the digests of ${imageTag}: none is a successful ${TRUSTED_EVENTS.join("/")} run of commit ${rules.sha} in ${rules.repo.full_name} on ${rules.repo.default_branch}${rules.branches.length ? `, a build_branches branch` : ""} or a tag (searched ${seen.size} successful run${seen.size === 1 ? "" : "s"}${named.length ? `; skipped:${list}${named.length > 20 ? `
  - and ${named.length - 20} more` : ""}` : ""}${named.length ? "\n" : ""}); set build_run_id, widen build_branches, or check image_tag and that ${PERMISSION_HINT}`
  );
}

// src/digests/github.ts
var defaultDeps = () => ({
  env: process.env,
  maxPages: 5,
  artifacts: async () => {
    const { DefaultArtifactClient } = await import("./artifact-4IUIO6CJ.js");
    const client = new DefaultArtifactClient();
    return {
      getArtifact: async (name, findBy) => (await client.getArtifact(name, findBy ? { findBy } : void 0)).artifact,
      download: (id, { path, findBy, expectedHash }) => client.downloadArtifact(id, {
        path,
        expectedHash,
        skipDecompress: true,
        ...findBy ? { findBy } : {}
      })
    };
  },
  runs: async (token) => {
    const { getOctokit } = await import("./github-AOYFV443.js");
    const octokit = getOctokit(token);
    const path = (ref) => ref.split("/").map(encodeURIComponent).join("/");
    return {
      listSuccessfulRuns: async ({ owner, repo, workflow, headSha, page, perPage }) => {
        const res = await octokit.request("GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", {
          owner,
          repo,
          workflow_id: workflow,
          status: "success",
          head_sha: headSha,
          per_page: perPage,
          page
        });
        return res.data.workflow_runs ?? [];
      },
      repository: async ({ owner, repo }) => {
        const { data } = await octokit.request("GET /repos/{owner}/{repo}", { owner, repo });
        return { id: Number(data.id), full_name: data.full_name, default_branch: data.default_branch };
      },
      commitSha: async ({ owner, repo, ref }) => {
        const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}", {
          owner,
          repo,
          ref,
          headers: { accept: "application/vnd.github.sha" }
        });
        const d = data;
        return (typeof d === "string" ? d : String(d?.sha ?? "")).trim();
      },
      tagAt: async ({ owner, repo, tag, sha }) => {
        let obj;
        try {
          ({
            data: { object: obj }
          } = await octokit.request(`GET /repos/{owner}/{repo}/git/ref/tags/${path(tag)}`, { owner, repo }));
        } catch (err) {
          if (statusOf(err) === 404) return false;
          throw err;
        }
        for (let i = 0; i < 5 && obj.type === "tag" && obj.sha; i++)
          ({
            data: { object: obj }
          } = await octokit.request("GET /repos/{owner}/{repo}/git/tags/{tag_sha}", {
            owner,
            repo,
            tag_sha: obj.sha
          }));
        return obj.type === "commit" && obj.sha?.toLowerCase() === sha;
      }
    };
  }
});

// src/digests/load.ts
async function getDigestManifest(src, imageTag, deps = defaultDeps()) {
  let text;
  let source;
  let runId;
  let lookedUpSha;
  if (src.file) {
    source = `digest_file ${src.file}`;
    try {
      text = await readFile2(src.file, "utf8");
    } catch (err) {
      throw new DigestError(
        `digest_file: cannot read ${src.file}: ${err.code ?? err.message}`
      );
    }
  } else if (src.buildRunId) {
    runId = src.buildRunId;
    const where = `run ${runId} of ${src.repository ? `${src.repository.owner}/${src.repository.repo}` : "?"} (input build_run_id)`;
    source = `artifact "${src.artifact}" of ${where}`;
    ({ text } = await downloadFromRun(
      src,
      deps,
      where,
      findByFor(src, runId, "download the artifact of build_run_id")
    ));
  } else {
    let got;
    const env = deps.env;
    if (env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL) {
      const where = `the current run${src.currentRunId ? ` ${src.currentRunId}` : ""}`;
      try {
        got = await downloadFromRun(src, deps, where, void 0);
        source = `artifact "${src.artifact}" of ${where}`;
        runId = src.currentRunId;
      } catch (err) {
        if (!(err instanceof DigestError) || !/was not found/.test(err.message)) throw err;
        info(`No artifact "${src.artifact}" in ${where}; looking for the build run of ${imageTag}`);
      }
    }
    if (got) text = got.text;
    else {
      const run = await findBuildRun(src, imageTag, deps);
      runId = run.id;
      const where = `run ${run.id} of ${src.repository.owner}/${src.repository.repo} (newest successful ${src.buildWorkflow} run at ${run.head_sha.slice(0, 12)})`;
      info(
        safeText(`Build run of ${imageTag}: ${run.html_url ?? run.id} (${run.event} on ${run.head_branch})`)
      );
      lookedUpSha = run.head_sha.toLowerCase();
      source = `artifact "${src.artifact}" of ${where}`;
      ({ text } = await downloadFromRun(src, deps, where, findByFor(src, run.id, "download the artifact")));
    }
  }
  let manifest;
  try {
    manifest = parseDigestManifest(text, imageTag);
  } catch (err) {
    if (err instanceof ManifestError)
      throw new DigestError(
        `the digest manifest from ${source} is invalid:
  - ${err.problems.join("\n  - ")}`
      );
    throw err;
  }
  const sha = shaOfTag(imageTag);
  if (lookedUpSha && manifest.git_sha !== lookedUpSha)
    throw new DigestError(
      `the digest manifest from ${source} says commit ${manifest.git_sha}, but the run built ${lookedUpSha} (the commit of image_tag ${imageTag}); refusing to use it`
    );
  if (sha && !manifest.git_sha.startsWith(sha))
    warning(
      `the digest manifest from ${source} was built from commit ${manifest.git_sha}, which does not start with ${sha} (from image_tag ${imageTag})`
    );
  return { manifest, text, source, runId };
}
export {
  getDigestManifest
};
