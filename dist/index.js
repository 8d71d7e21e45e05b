import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  FLEET_FIELDS,
  TARGET_FIELDS,
  TARGET_REQUIRED_WHY,
  fleetSettings,
  serverOptions,
  sshEndpoint
} from "./chunks/chunk-FG3DW3KW.js";
import {
  InputError,
  Problems,
  anyString,
  boolean,
  integer,
  issue,
  matching,
  oneOf,
  parseFields,
  show,
  text
} from "./chunks/chunk-SXDYCLSA.js";
import "./chunks/chunk-24WOHV2D.js";
import {
  outputStatusOf,
  setStatus
} from "./chunks/chunk-VITA26D3.js";
import {
  ENV_RE,
  ENV_VAR_RE,
  IMAGE_NAME_RE,
  STACK_RE,
  TAG_RE,
  string
} from "./chunks/chunk-JL5PL23L.js";
import {
  ExitCode,
  getInput,
  group,
  info,
  setFailed,
  setSecret,
  warning
} from "./chunks/chunk-RR2G3LBB.js";
import "./chunks/chunk-B54QJ254.js";

// src/inputs/digest-source.ts
var branchGlobs = string().transform((v, ctx) => {
  const globs = v.split(/[\r\n,]+/).map((g) => g.trim()).filter(Boolean);
  for (const g of globs)
    if (!/^[A-Za-z0-9._/*?+@=-]{1,255}$/.test(g) || g.startsWith("/") || g.endsWith("/"))
      issue(
        ctx,
        `build_branches: ${show(g)} is not valid; expected branch names or globs (* within a path segment, ** across, ?), one per line, e.g. release/*`
      );
  return globs;
});
var DIGEST_SOURCE_FIELDS = {
  digest_file: anyString,
  digest_artifact: matching(
    "digest_artifact",
    /^[^/\\:*?"<>|\r\n]{1,200}$/,
    "an artifact name (e.g. image-digests)"
  ),
  build_run_id: integer("build_run_id", 1, Number.MAX_SAFE_INTEGER),
  build_workflow: matching(
    "build_workflow",
    /^[A-Za-z0-9_.-]{1,200}$/,
    "a workflow file name or id (e.g. build_ghcr.yml)"
  ),
  build_branches: branchGlobs,
  github_token: anyString,
  git_sha: matching("git_sha", /^[0-9a-f]{40}$/, "a full 40-hex commit SHA (default: GITHUB_SHA)")
};
function digestSource(v, imageTag, ctx, p) {
  const tagHex = /^sha-([0-9a-f]{7,40})$/.exec(imageTag ?? "")?.[1];
  if (v.git_sha && tagHex && !v.git_sha.startsWith(tagHex))
    p.add(
      `git_sha: ${v.git_sha} is not the commit of image_tag ${imageTag} (it does not start with ${tagHex}); give the full SHA of that commit, or leave git_sha empty`
    );
  return {
    file: v.digest_file,
    artifact: v.digest_artifact ?? "image-digests",
    buildRunId: v.build_run_id,
    buildWorkflow: v.build_workflow ?? "build_ghcr.yml",
    buildBranches: v.build_branches,
    ...v.git_sha ? { gitSha: v.git_sha } : {},
    token: v.github_token ?? "",
    repository: ctx.repository,
    currentRunId: ctx.currentRunId
  };
}

// src/inputs/manifest.ts
var MANIFEST_FIELDS = {
  digests: anyString,
  upload_artifact: boolean("upload_artifact"),
  retention_days: integer("retention_days", 1, 90, " (days)"),
  attest: boolean("attest")
};
function manifestInputs(v, gitSha, gitShaFailed, p) {
  if (!/^[0-9a-f]{40}$/.test(gitSha) && !gitShaFailed)
    p.add("git_sha: required in manifest mode when GITHUB_SHA is not set (a full 40-hex commit SHA)");
  return {
    digests: v.digests ?? "",
    gitSha,
    upload: v.upload_artifact ?? true,
    retentionDays: v.retention_days,
    attest: v.attest ?? false
  };
}

// src/inputs/raw.ts
var INPUT_NAMES = [
  "mode",
  "environment",
  "stack",
  "image_tag",
  "images",
  "digest_file",
  "digest_artifact",
  "build_run_id",
  "build_workflow",
  "build_branches",
  "github_token",
  "host",
  "hosts",
  "rollout",
  "rollout_wait",
  "on_failure",
  "port",
  "username",
  "private_key",
  "passphrase",
  "host_key",
  "sudo",
  "executor_mismatch",
  "remote_node",
  "srv_root",
  "stacks_source",
  "break_glass",
  "break_glass_reason",
  "steps_back",
  "keep_releases",
  "lock_timeout",
  "timeout_minutes",
  "reconnect_timeout",
  "registry",
  "registry_username",
  "registry_password",
  "actor",
  "run_id",
  "digests",
  "git_sha",
  "upload_artifact",
  "retention_days",
  "provenance",
  "provenance_refs",
  "trusted_root",
  "attest"
];
var SECRET_INPUTS = ["private_key", "passphrase", "registry_password", "github_token"];
var EXACT_INPUTS = ["passphrase", "registry_password"];
var exact = (v) => v.replace(/[\r\n]+$/, "");
function readRawInputs() {
  const raw = {};
  for (const name of INPUT_NAMES) {
    const value = EXACT_INPUTS.includes(name) ? exact(getInput(name, { trimWhitespace: false })) : getInput(name);
    if (SECRET_INPUTS.includes(name) && value) maskSecret(value);
    raw[name] = value;
  }
  return raw;
}
function maskSecret(value) {
  setSecret(value);
  const lines = value.split(/\r?\n/).map((l) => l.trim());
  if (lines.length > 1) {
    for (const l of lines) if (l.length >= 8) setSecret(l);
  }
}
function inputStrings(raw) {
  return Object.fromEntries(
    INPUT_NAMES.map((n) => [n, EXACT_INPUTS.includes(n) ? exact(raw[n] ?? "") : (raw[n] ?? "").trim()])
  );
}

// src/inputs/registry.ts
var REGISTRY_FIELDS = {
  registry: matching(
    "registry",
    /^[A-Za-z0-9.-]+(:[0-9]+)?$/,
    "a registry host with an optional port (e.g. ghcr.io)"
  ),
  registry_username: text("registry_username", 255),
  registry_password: anyString
};
function registryCredentials(v, given, p) {
  const user = given("registry_username");
  const pass = given("registry_password");
  if (user && !pass) p.add("registry_password: required when registry_username is set");
  if (pass && !user) p.add("registry_username: required when registry_password is set");
  if (given("registry") && !user && !pass)
    p.add("registry_username: required when registry is set (with registry_password)");
  if ((user || pass) && !given("registry"))
    p.add(
      "registry: required when registry_username/registry_password are set: the registry host those credentials are for (e.g. ghcr.io); they are sent to that host only, never to one named in the digest manifest"
    );
  return v.registry_username && v.registry_password && v.registry ? { registry: v.registry, username: v.registry_username, password: v.registry_password } : void 0;
}

// src/inputs/provenance.ts
var PROVENANCE_MODES = ["off", "warn", "require"];
var GATED_ENVS = ["production"];
var PROVENANCE_FIELDS = {
  provenance: oneOf("provenance", PROVENANCE_MODES),
  provenance_refs: matching(
    "provenance_refs",
    /^refs\/[A-Za-z0-9_.*/-]{1,200}$/,
    "a full ref pattern where * matches any characters (e.g. refs/tags/v*)"
  ),
  trusted_root: anyString
};
function provenanceSettings(v, mode, environment) {
  const byDefault = mode === "status" || mode === "rollback" ? "off" : environment && GATED_ENVS.includes(environment) ? "require" : "warn";
  return { mode: v.provenance ?? byDefault, refs: v.provenance_refs, trustedRoot: v.trusted_root };
}

// common/image-lines.ts
function parseImageLines(text2) {
  const mapping = {};
  const problems = [];
  const entries = text2.split(/\r?\n/).flatMap(
    (text3, i) => text3.trim().startsWith("#") ? [] : text3.split(",").map((e) => ({ line: i + 1, e }))
  ).map(({ line, e }) => ({ line, entry: e.trim() })).filter(({ entry }) => entry);
  for (const { line, entry } of entries) {
    const problem = (message) => problems.push({ line, message });
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(entry);
    if (!m) {
      problem(`${JSON.stringify(entry)} is not ENV_VAR=image-name (e.g. IMAGE_REF=seisei-odoo18)`);
      continue;
    }
    const [, name, image] = m;
    if (!ENV_VAR_RE.test(name))
      problem(`${JSON.stringify(name)} is not an upper-case variable name like IMAGE_REF or OCR_IMAGE_REF`);
    else if (!IMAGE_NAME_RE.test(image))
      problem(
        `${JSON.stringify(image)} is not an image name from the manifest: image names are [a-z0-9][a-z0-9._-]*`
      );
    else if (Object.hasOwn(mapping, name)) problem(`${name} is mapped twice`);
    else mapping[name] = image;
  }
  return { mapping, problems };
}

// src/inputs/run.ts
var MODES = ["deploy", "rollback", "verify", "status", "manifest"];
var imagesInput = string().transform((v, ctx) => {
  if (v === "") return void 0;
  const { mapping, problems } = parseImageLines(v);
  for (const p of problems) issue(ctx, `images: line ${p.line}: ${p.message}`);
  return Object.keys(mapping).length ? mapping : void 0;
});
var RUN_FIELDS = {
  mode: oneOf("mode", MODES),
  environment: matching(
    "environment",
    ENV_RE,
    "1-32 characters of a-z, 0-9 and '-', starting with a letter (e.g. staging)"
  ),
  stack: matching(
    "stack",
    STACK_RE,
    "1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit (e.g. odoo18)"
  ),
  image_tag: matching(
    "image_tag",
    TAG_RE,
    "a Docker tag: 1-128 characters of A-Z, a-z, 0-9, '_', '.' and '-', not starting with '.' or '-' (e.g. sha-abc1234)"
  ),
  images: imagesInput,
  break_glass: boolean("break_glass"),
  break_glass_reason: text("break_glass_reason", 1e3),
  steps_back: integer("steps_back", 1, 100),
  keep_releases: integer("keep_releases", 1, 1e3),
  lock_timeout: integer("lock_timeout", 0, 86400, " (seconds)"),
  timeout_minutes: integer("timeout_minutes", 1, 1440, " (minutes)"),
  reconnect_timeout: integer("reconnect_timeout", 0, 3600, " (seconds)"),
  actor: text("actor", 200),
  run_id: text("run_id", 100)
};
function githubContext(env) {
  const repo = /^([^/\s]+)\/([^/\s]+)$/.exec(env.GITHUB_REPOSITORY ?? "");
  const currentRunId = /^\d+$/.test(env.GITHUB_RUN_ID ?? "") ? Number(env.GITHUB_RUN_ID) : void 0;
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  return {
    repository: repo ? { owner: repo[1], repo: repo[2] } : void 0,
    runId: env.GITHUB_RUN_ID ?? "",
    currentRunId,
    runAttempt: /^\d+$/.test(env.GITHUB_RUN_ATTEMPT ?? "") ? env.GITHUB_RUN_ATTEMPT : "1",
    actor: env.GITHUB_ACTOR ?? "",
    sha: env.GITHUB_SHA ?? "",
    runUrl: repo && currentRunId ? `${server}/${repo[1]}/${repo[2]}/actions/runs/${currentRunId}` : void 0
  };
}
function runSettings(v, mode, ctx, p) {
  const breakGlass = v.break_glass ?? false;
  if (breakGlass && !v.break_glass_reason?.trim() && !p.failed.has("break_glass_reason"))
    p.add(
      "break_glass_reason: required (non-blank) when break_glass is true; say why the verification gate is bypassed"
    );
  return {
    mode,
    stack: v.stack,
    environment: v.environment,
    imageTag: v.image_tag,
    images: v.images,
    breakGlass,
    breakGlassReason: (v.break_glass_reason ?? "").trim(),
    stepsBack: v.steps_back ?? 1,
    keepReleases: v.keep_releases,
    lockTimeoutS: v.lock_timeout ?? 600,
    timeoutMinutes: v.timeout_minutes ?? 30,
    reconnectTimeoutS: v.reconnect_timeout ?? 120,
    actor: v.actor || ctx.actor,
    runId: v.run_id || ctx.runId,
    runAttempt: ctx.runAttempt,
    runUrl: ctx.runUrl
  };
}

// src/inputs/settings.ts
var FIELDS_BY_CONCERN = {
  run: RUN_FIELDS,
  target: TARGET_FIELDS,
  fleet: FLEET_FIELDS,
  digestSource: DIGEST_SOURCE_FIELDS,
  registry: REGISTRY_FIELDS,
  manifest: MANIFEST_FIELDS,
  provenance: PROVENANCE_FIELDS
};
var REQUIRED = {
  deploy: ["stack", "environment", "image_tag", "host", "username", "private_key", "host_key"],
  rollback: ["stack", "environment", "host", "username", "private_key", "host_key"],
  verify: ["image_tag", "host", "username", "private_key", "host_key"],
  status: ["host", "username", "private_key", "host_key"],
  manifest: ["image_tag", "digests"]
};
function parseSettings(raw, env = process.env) {
  const strings = inputStrings(raw);
  const p = new Problems();
  const run2 = parseFields(FIELDS_BY_CONCERN.run, strings, p);
  const target = parseFields(FIELDS_BY_CONCERN.target, strings, p);
  const fleetInputs = parseFields(FIELDS_BY_CONCERN.fleet, strings, p);
  const isFleet = strings.hosts !== "";
  const source = parseFields(FIELDS_BY_CONCERN.digestSource, strings, p);
  const reg = parseFields(FIELDS_BY_CONCERN.registry, strings, p);
  const build = parseFields(FIELDS_BY_CONCERN.manifest, strings, p);
  const gate = parseFields(FIELDS_BY_CONCERN.provenance, strings, p);
  const mode = p.failed.has("mode") ? void 0 : run2.mode ?? "deploy";
  const values = {
    ...run2,
    ...target,
    ...fleetInputs,
    ...source,
    ...reg,
    ...build,
    ...gate
  };
  for (const name of mode ? REQUIRED[mode] : []) {
    if (name === "host" && isFleet) continue;
    p.require(
      name,
      values[name],
      TARGET_REQUIRED_WHY[name] ?? `for mode ${mode}`
    );
  }
  const ctx = githubContext(env);
  const runPart = runSettings(run2, mode ?? "deploy", ctx, p);
  const registry = registryCredentials(reg, (n) => strings[n] !== "", p);
  const manifestMode = mode === "manifest";
  const digests = digestSource(
    manifestMode ? { ...source, git_sha: void 0 } : source,
    run2.image_tag,
    ctx,
    p
  );
  const manifest = manifestMode ? manifestInputs(build, source.git_sha || ctx.sha, p.failed.has("git_sha"), p) : void 0;
  const fleet = mode === "manifest" ? void 0 : fleetSettings(
    fleetInputs,
    strings.host,
    {
      username: target.username,
      privateKey: target.private_key,
      passphrase: target.passphrase,
      port: target.port,
      hostKeys: target.host_key
    },
    p
  );
  if (fleet && mode === "rollback" && (run2.steps_back ?? 1) !== 1)
    p.fail(
      "steps_back",
      "steps_back: a fleet rollback goes to the newest image tag every host can roll back to; leave steps_back at 1 with hosts"
    );
  const endpoint = fleet ? fleet.endpoints[0] : sshEndpoint(target, p);
  if (p.list.length || !mode) throw new InputError(p.list.length ? p.list : ["invalid inputs"]);
  return {
    ...runPart,
    digests,
    manifest,
    target: manifestMode ? void 0 : endpoint,
    ...fleet ? { fleet } : {},
    server: serverOptions(target),
    registry,
    provenance: provenanceSettings(gate, mode, run2.environment)
  };
}
function getSettings() {
  return parseSettings(readRawInputs(), process.env);
}

// src/test-knobs.ts
function envInt(env, name, fallback) {
  const v = env[`SEISEI_DEPLOY_TEST_${name}`];
  return v && /^\d+$/.test(v) ? Number(v) : fallback;
}
function testKnobs(env = process.env) {
  return {
    ssh: {
      readyTimeoutMs: envInt(env, "READY_TIMEOUT_MS", 2e4),
      keepaliveIntervalMs: envInt(env, "KEEPALIVE_MS", 1e4),
      keepaliveCountMax: 3
    },
    backoffBaseMs: envInt(env, "BACKOFF_BASE_MS", 1e3) || 1e3,
    remoteScript: env.SEISEI_DEPLOY_REMOTE_JS || void 0
  };
}

// src/main.ts
function describe(s) {
  info(`mode: ${s.mode}`);
  if (s.stack) info(`stack: ${s.stack}`);
  if (s.environment) info(`environment: ${s.environment}`);
  if (s.imageTag) info(`image_tag: ${s.imageTag}`);
  const t = s.target;
  if (!t) return s;
  const f = s.fleet;
  if (f) {
    const r = f.rollout;
    info(
      `hosts: ${f.endpoints.map((e) => `${e.host}:${e.port}`).join(", ")} as ${t.username}; rollout ${r.kind === "parallel" ? "parallel" : r.kind === "count" ? `${r.n} at a time` : `${r.pct}% at a time`}, rollout_wait ${f.rolloutWaitS} s, on_failure ${f.onFailure}`
    );
  } else
    info(
      `host: ${t.username}@${t.host}:${t.port} (${t.hostKeys.length} pinned host key${t.hostKeys.length === 1 ? "" : "s"})`
    );
  info(
    `server: root ${s.server.root}, source ${s.server.source}, node ${s.server.node}, sudo ${s.server.sudo}`
  );
  if (s.breakGlass)
    warning(`break_glass: the verification gate is bypassed. Reason: ${s.breakGlassReason}`);
  return s;
}
function hostConfig(endpoint, s, knobs) {
  return {
    target: { ...endpoint, ...knobs.ssh },
    server: s.server,
    timeoutMinutes: s.timeoutMinutes,
    reconnectTimeoutS: s.reconnectTimeoutS
  };
}
var needsManifest = (mode) => mode === "deploy" || mode === "verify";
async function provenanceOf(s, m) {
  const { checkProvenance, githubReads } = await import("./chunks/gate-U2CNCJMX.js");
  const repo = s.digests.repository;
  info(`provenance: ${s.provenance.mode}`);
  return checkProvenance(s, m, githubReads(s.digests.token, repo?.owner ?? "", repo?.repo ?? ""));
}
async function loadManifest(settings) {
  return group("Digest manifest", async () => {
    const { getDigestManifest } = await import("./chunks/load-COPMUTXN.js");
    const m = await getDigestManifest(settings.digests, settings.imageTag);
    info(`Manifest from ${m.source}: commit ${m.manifest.git_sha}, built ${m.manifest.built_at_utc}`);
    if (settings.mode === "deploy") (await import("./chunks/deploy-INP2CG35.js")).precheckDeploy(settings, m);
    if (settings.provenance.mode !== "off") m.provenance = await provenanceOf(settings, m.manifest);
    return m;
  });
}
async function runModes(settings, signal) {
  if (settings.manifest) {
    const m = settings.manifest;
    const { runManifestMode } = await import("./chunks/manifest-IU77DF5I.js");
    await group(
      "Digest manifest",
      () => runManifestMode({
        imageTag: settings.imageTag,
        artifact: settings.digests.artifact,
        token: settings.digests.token,
        ...m
      })
    );
    return;
  }
  const { runMode } = await import("./chunks/runners-V433ZGAZ.js");
  const manifest = needsManifest(settings.mode) ? await loadManifest(settings) : void 0;
  if (signal.aborted) throw new Error("The job was cancelled before anything ran on the server.");
  const knobs = testKnobs();
  const opts = { signal, backoffBaseMs: knobs.backoffBaseMs, remoteScript: knobs.remoteScript };
  if (settings.fleet) {
    const { runFleet } = await import("./chunks/run-7N2TPYK4.js");
    const configs = settings.fleet.endpoints.map((e) => hostConfig(e, settings, knobs));
    await runFleet(settings, configs, manifest, opts);
    return;
  }
  const config = hostConfig(settings.target, settings, knobs);
  await runMode(settings, config, manifest, opts);
}
async function run() {
  const cancel = new AbortController();
  const onSignal = (sig) => {
    if (cancel.signal.aborted) return;
    warning(
      `Received ${sig}: the job is being cancelled. A run already started on the server is not stopped.`
    );
    cancel.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    const settings = await group("Inputs", async () => describe(getSettings()));
    await runModes(settings, cancel.signal);
  } catch (err) {
    setStatus(outputStatusOf(err));
    setFailed(err instanceof Error ? err.message : String(err));
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    if (cancel.signal.aborted) process.exit(process.exitCode ?? ExitCode.Failure);
  }
}

// src/index.ts
await run();
