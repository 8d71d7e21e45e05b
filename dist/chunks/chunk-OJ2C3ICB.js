import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  EXECUTOR_MISMATCH,
  HostKeyError,
  knownHostsName,
  parseHostKeys,
  pinsForHost
} from "./chunk-KXNCHVPW.js";
import {
  ENV_RE,
  ENV_VAR_RE,
  IMAGE_NAME_RE,
  STACK_RE,
  TAG_RE,
  freeText,
  object,
  string
} from "./chunk-F2Z5YPSB.js";
import {
  getInput,
  setSecret
} from "./chunk-3TX4BVXH.js";

// src/inputs.ts
var PROVENANCE_MODES = ["off", "warn", "require"];
var GATED_ENVS = ["production"];
var MODES = ["deploy", "rollback", "verify", "status", "manifest"];
var SECRET_INPUTS = ["private_key", "passphrase", "registry_password", "github_token"];
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
var InputError = class extends Error {
  constructor(problems) {
    super(problems.length === 1 ? problems[0] : `invalid inputs:
  - ${problems.join("\n  - ")}`);
    this.problems = problems;
  }
  problems;
  name = "InputError";
};
var REQUIRED = {
  deploy: ["stack", "environment", "image_tag", "host", "username", "private_key", "host_key"],
  rollback: ["stack", "environment", "host", "username", "private_key", "host_key"],
  verify: ["image_tag", "host", "username", "private_key", "host_key"],
  status: ["host", "username", "private_key", "host_key"],
  manifest: ["image_tag", "digests"]
};
var show = (v) => JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
var issue = (ctx, message) => ctx.addIssue({ code: "custom", message });
var matching = (name, re, expected) => string().transform((v, ctx) => {
  if (v === "") return void 0;
  if (!re.test(v)) issue(ctx, `${name}: ${show(v)} is not valid; expected ${expected}`);
  return v;
});
var integer = (name, min, max, unit = "") => string().transform((v, ctx) => {
  if (v === "") return void 0;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    issue(ctx, `${name}: ${show(v)} is not valid; expected a whole number from ${min} to ${max}${unit}`);
    return void 0;
  }
  return n;
});
var boolean = (name) => string().transform((v, ctx) => {
  if (v === "") return void 0;
  if (/^(true|yes|on|1)$/i.test(v)) return true;
  if (/^(false|no|off|0)$/i.test(v)) return false;
  issue(ctx, `${name}: ${show(v)} is not valid; expected true or false`);
  return void 0;
});
var absPath = (name) => string().transform((v, ctx) => {
  if (v === "") return void 0;
  const p = v.replace(/\/+$/, "") || "/";
  if (!p.startsWith("/") || p.split("/").includes("..") || /[\0\n\r]/.test(p))
    issue(ctx, `${name}: ${show(v)} is not valid; expected an absolute path without '..' (e.g. /srv)`);
  return p;
});
var text = (name, max) => string().transform((v, ctx) => {
  const r = freeText(name, max).safeParse(v);
  if (!r.success) issue(ctx, `${name}: ${r.error.issues[0]?.message ?? "invalid"}`);
  return v;
});
var anyString = string().transform((v) => v === "" ? void 0 : v);
var imagesInput = string().transform((v, ctx) => {
  if (v === "") return void 0;
  const out = {};
  v.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(line);
    const where = `images: line ${i + 1} ${show(line)}`;
    if (!m)
      return issue(
        ctx,
        `${where} is not valid; expected lines ENV_VAR=image-name, e.g. IMAGE_REF=seisei-odoo18`
      );
    const [, envVar, image] = m;
    if (!ENV_VAR_RE.test(envVar))
      return issue(
        ctx,
        `${where}: ${show(envVar)} is not an upper-case variable name like IMAGE_REF or OCR_IMAGE_REF`
      );
    if (!IMAGE_NAME_RE.test(image))
      return issue(
        ctx,
        `${where}: ${show(image)} is not an image name from the manifest ([a-z0-9][a-z0-9._-]*)`
      );
    if (envVar in out) return issue(ctx, `${where}: ${envVar} is mapped twice`);
    out[envVar] = image;
  });
  return out;
});
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
var fields = object({
  mode: string().transform((v, ctx) => {
    if (v === "") return "deploy";
    if (!MODES.includes(v))
      issue(ctx, `mode: ${show(v)} is not valid; expected one of ${MODES.join(", ")}`);
    return v;
  }),
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
  host: string().transform((v, ctx) => {
    if (v === "") return void 0;
    const h = v.replace(/^\[(.*)\]$/, "$1");
    if (!/^(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/.test(h))
      issue(
        ctx,
        `host: ${show(v)} is not valid; expected a host name or IP address (e.g. deploy.example.com)`
      );
    return h;
  }),
  port: integer("port", 1, 65535),
  username: matching("username", /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, "a user name (e.g. deploy)"),
  private_key: string().transform((v, ctx) => {
    if (v === "") return void 0;
    if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(v) || !/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(v))
      issue(
        ctx,
        "private_key: is not valid; expected a PEM/OpenSSH private key (-----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----)"
      );
    return v.endsWith("\n") ? v : v + "\n";
  }),
  passphrase: anyString,
  host_key: string().transform((v, ctx) => {
    if (v === "") return void 0;
    try {
      return parseHostKeys(v);
    } catch (err) {
      issue(ctx, err instanceof HostKeyError ? err.message : `host_key: ${err.message}`);
      return void 0;
    }
  }),
  sudo: boolean("sudo"),
  executor_mismatch: string().transform((v, ctx) => {
    if (v === "") return void 0;
    if (!EXECUTOR_MISMATCH.includes(v))
      issue(
        ctx,
        `executor_mismatch: ${show(v)} is not valid; expected one of ${EXECUTOR_MISMATCH.join(", ")}`
      );
    return v;
  }),
  remote_node: matching(
    "remote_node",
    /^[A-Za-z0-9_./+-]{1,255}$/,
    "a command name or absolute path of Node.js on the server (e.g. node, /usr/bin/node)"
  ),
  srv_root: absPath("srv_root"),
  stacks_source: absPath("stacks_source"),
  break_glass: boolean("break_glass"),
  break_glass_reason: text("break_glass_reason", 1e3),
  steps_back: integer("steps_back", 1, 100),
  keep_releases: integer("keep_releases", 1, 1e3),
  lock_timeout: integer("lock_timeout", 0, 86400, " (seconds)"),
  timeout_minutes: integer("timeout_minutes", 1, 1440, " (minutes)"),
  reconnect_timeout: integer("reconnect_timeout", 0, 3600, " (seconds)"),
  registry: matching(
    "registry",
    /^[A-Za-z0-9.-]+(:[0-9]+)?$/,
    "a registry host with an optional port (e.g. ghcr.io)"
  ),
  registry_username: text("registry_username", 255),
  registry_password: anyString,
  actor: text("actor", 200),
  run_id: text("run_id", 100),
  digests: anyString,
  git_sha: matching("git_sha", /^[0-9a-f]{40}$/, "a full 40-hex commit SHA (default: GITHUB_SHA)"),
  upload_artifact: boolean("upload_artifact"),
  retention_days: integer("retention_days", 1, 90, " (days)"),
  provenance: string().transform((v, ctx) => {
    if (v === "") return void 0;
    if (!PROVENANCE_MODES.includes(v))
      issue(ctx, `provenance: ${show(v)} is not valid; expected one of ${PROVENANCE_MODES.join(", ")}`);
    return v;
  }),
  provenance_refs: matching(
    "provenance_refs",
    /^refs\/[A-Za-z0-9_.*/-]{1,200}$/,
    "a full ref pattern where * matches any characters (e.g. refs/tags/v*)"
  ),
  trusted_root: anyString,
  attest: boolean("attest")
});
function readRawInputs() {
  const raw = {};
  for (const name of INPUT_NAMES) {
    const exact = name === "passphrase" || name === "registry_password";
    const value = exact ? getInput(name, { trimWhitespace: false }).replace(/[\r\n]+$/, "") : getInput(name);
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
function envInt(env, name, fallback) {
  const v = env[name];
  return v && /^\d+$/.test(v) ? Number(v) : fallback;
}
function parseSettings(raw, env = process.env) {
  const get = (n) => (raw[n] ?? "").trim();
  const strings = Object.fromEntries(
    INPUT_NAMES.map((n) => [
      n,
      n === "passphrase" || n === "registry_password" ? (raw[n] ?? "").replace(/[\r\n]+$/, "") : get(n)
    ])
  );
  const problems = [];
  const parsed = fields.safeParse(strings);
  const failed = /* @__PURE__ */ new Set();
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      problems.push(i.message);
      failed.add(String(i.path[0]));
    }
  }
  const mode = MODES.includes(get("mode") || "deploy") ? get("mode") || "deploy" : void 0;
  const need = (name, why) => {
    if (!get(name) && !failed.has(name)) {
      problems.push(`${name}: required ${why}`);
      failed.add(name);
    }
  };
  if (mode) {
    for (const name of REQUIRED[mode]) {
      const why = name === "host_key" ? `(the server's SSH host key: "SHA256:<base64>" fingerprints or known_hosts lines; host key verification cannot be turned off)` : name === "private_key" ? "(the SSH private key of the deploy user, PEM or OpenSSH format)" : `for mode ${mode}`;
      need(name, why);
    }
  }
  const breakGlass = /^(true|yes|on|1)$/i.test(get("break_glass"));
  if (breakGlass && !get("break_glass_reason") && !failed.has("break_glass_reason"))
    problems.push(
      "break_glass_reason: required (non-blank) when break_glass is true; say why the verification gate is bypassed"
    );
  const regUser = get("registry_username");
  const regPass = strings.registry_password;
  if (regUser && !regPass) problems.push("registry_password: required when registry_username is set");
  if (regPass && !regUser) problems.push("registry_username: required when registry_password is set");
  if (get("registry") && !regUser && !regPass)
    problems.push("registry_username: required when registry is set (with registry_password)");
  if ((regUser || regPass) && !get("registry"))
    problems.push(
      "registry: required when registry_username/registry_password are set: the registry host those credentials are for (e.g. ghcr.io); they are sent to that host only, never to one named in the digest manifest"
    );
  const v = parsed.success ? parsed.data : void 0;
  let hostKeys = [];
  const gitSha = v?.git_sha || env.GITHUB_SHA || "";
  const tagHex = /^sha-([0-9a-f]{7,40})$/.exec(get("image_tag"))?.[1];
  if (mode !== "manifest" && v?.git_sha && tagHex && !v.git_sha.startsWith(tagHex))
    problems.push(
      `git_sha: ${v.git_sha} is not the commit of image_tag ${get("image_tag")} (it does not start with ${tagHex}); give the full SHA of that commit, or leave git_sha empty`
    );
  if (mode === "manifest" && !/^[0-9a-f]{40}$/.test(gitSha) && !failed.has("git_sha"))
    problems.push("git_sha: required in manifest mode when GITHUB_SHA is not set (a full 40-hex commit SHA)");
  if (v?.host_key && v.host) {
    const port = v.port ?? 22;
    hostKeys = pinsForHost(v.host_key, v.host, port);
    if (!hostKeys.length)
      problems.push(
        `host_key: no line applies to ${knownHostsName(v.host, port)}: the known_hosts lines name ${[
          ...new Set(v.host_key.map((p) => p.hosts))
        ].join(
          ", "
        )}; add a line for ${knownHostsName(v.host, port)} (ssh-keyscan -p ${port} ${v.host}) or a "SHA256:..." fingerprint`
      );
  }
  if (problems.length || !v || !mode) throw new InputError(problems.length ? problems : ["invalid inputs"]);
  const repo = /^([^/\s]+)\/([^/\s]+)$/.exec(env.GITHUB_REPOSITORY ?? "");
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  const actor = v.actor || env.GITHUB_ACTOR || "";
  const runId = v.run_id || env.GITHUB_RUN_ID || "";
  const envRunId = /^\d+$/.test(env.GITHUB_RUN_ID ?? "") ? Number(env.GITHUB_RUN_ID) : void 0;
  const test = (name, fallback) => envInt(env, `SEISEI_DEPLOY_TEST_${name}`, fallback);
  return {
    mode,
    stack: v.stack,
    environment: v.environment,
    imageTag: v.image_tag,
    images: v.images && Object.keys(v.images).length ? v.images : void 0,
    digests: {
      file: v.digest_file,
      artifact: v.digest_artifact ?? "image-digests",
      buildRunId: v.build_run_id,
      buildWorkflow: v.build_workflow ?? "build_ghcr.yml",
      buildBranches: v.build_branches,
      ...mode !== "manifest" && v.git_sha ? { gitSha: v.git_sha } : {},
      token: v.github_token ?? "",
      repository: repo ? { owner: repo[1], repo: repo[2] } : void 0,
      currentRunId: envRunId
    },
    manifest: mode === "manifest" ? {
      digests: v.digests ?? "",
      gitSha,
      upload: v.upload_artifact ?? true,
      retentionDays: v.retention_days,
      attest: v.attest ?? false
    } : void 0,
    target: mode === "manifest" ? void 0 : {
      host: v.host,
      port: v.port ?? 22,
      username: v.username,
      privateKey: v.private_key,
      passphrase: v.passphrase,
      hostKeys,
      readyTimeoutMs: test("READY_TIMEOUT_MS", 2e4),
      keepaliveIntervalMs: test("KEEPALIVE_MS", 1e4),
      keepaliveCountMax: 3
    },
    remote: {
      sudo: v.sudo ?? true,
      executorMismatch: v.executor_mismatch ?? "fail",
      node: v.remote_node ?? "node",
      root: v.srv_root ?? "/srv",
      source: v.stacks_source ?? "/opt/seisei-odoo-addons/infra/stacks"
    },
    breakGlass: v.break_glass ?? false,
    breakGlassReason: v.break_glass_reason.trim(),
    stepsBack: v.steps_back ?? 1,
    keepReleases: v.keep_releases,
    lockTimeoutS: v.lock_timeout ?? 600,
    timeoutMinutes: v.timeout_minutes ?? 30,
    reconnectTimeoutS: v.reconnect_timeout ?? 120,
    registry: regUser ? { registry: v.registry, username: regUser, password: regPass } : void 0,
    actor,
    runId,
    provenance: {
      mode: v.provenance ?? (mode === "status" || mode === "rollback" ? "off" : v.environment && GATED_ENVS.includes(v.environment) ? "require" : "warn"),
      refs: v.provenance_refs,
      trustedRoot: v.trusted_root || void 0
    },
    runAttempt: /^\d+$/.test(env.GITHUB_RUN_ATTEMPT ?? "") ? env.GITHUB_RUN_ATTEMPT : "1",
    runUrl: repo && envRunId ? `${server}/${repo[1]}/${repo[2]}/actions/runs/${envRunId}` : void 0
  };
}
function getSettings() {
  return parseSettings(readRawInputs(), process.env);
}

export {
  InputError,
  getSettings
};
