import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  _enum,
  array,
  boolean,
  envName,
  freeText,
  imageMapping,
  imageTag,
  literal,
  neutraliseLines,
  number,
  object,
  record,
  runKey,
  safeText,
  stackName,
  string
} from "./chunk-F2Z5YPSB.js";
import {
  ExitCode,
  core_exports,
  debug,
  info,
  setOutput,
  summary
} from "./chunk-3TX4BVXH.js";

// common/request.ts
var REQUEST_FORMAT = 1;
var absPath = (field) => string().refine((v) => v.startsWith("/") && !v.split("/").includes("..") && !v.includes("\0"), {
  error: `${field} must be an absolute path without '..'`
});
var commonOptions = {
  root: absPath("root").default("/srv"),
  source: absPath("source").default("/opt/seisei-odoo-addons/infra/stacks"),
  actor: freeText("actor", 200).default(""),
  run_id: freeText("run_id", 100).default(""),
  run_key: runKey.optional(),
  lock_timeout_s: number().int().min(0).max(86400).default(600),
  gated_envs: array(envName).default(["production"]),
  keep_releases: number().int().min(1).max(1e3).optional()
};
var registryLogin = object({
  registry: freeText("registry", 255).regex(/^[A-Za-z0-9.-]+(:[0-9]+)?$/, {
    error: "registry must be a host name with an optional port, e.g. ghcr.io"
  }),
  username: freeText("registry_username", 255).min(1),
  password_file: absPath("registry password file")
}).optional();
var provenanceRecord = object({
  state: _enum(["verified", "warned", "off"]),
  mode: _enum(["off", "warn", "require"]),
  signer_workflow: freeText("provenance.signer_workflow", 300).optional(),
  signer_ref: freeText("provenance.signer_ref", 300).optional(),
  /** digest -> where its bundle is */
  bundles: record(string().regex(/^sha256:[0-9a-f]{64}$/), freeText("provenance bundle", 500)).optional()
});
var deployRequest = object({
  command: literal("deploy"),
  stack: stackName,
  env: envName,
  image_tag: imageTag,
  digest_file: absPath("digest_file"),
  images: imageMapping.optional(),
  break_glass: boolean().default(false),
  reason: freeText("break_glass_reason", 1e3).default(""),
  registry_login: registryLogin,
  provenance: provenanceRecord.optional(),
  ...commonOptions
});
var rollbackRequest = object({
  command: literal("rollback"),
  stack: stackName,
  env: envName,
  steps: number().int().min(1).max(100).default(1),
  ...commonOptions
});
function formatIssues(err) {
  return err.issues.map((i) => {
    const field = i.path.join(".");
    return field && !i.message.startsWith(field) ? `${field}: ${i.message}` : i.message;
  }).join("\n");
}

// src/privilege.ts
var EXECUTOR_MISMATCH = ["fail", "use-installed"];
function parseInstalledVersion(text) {
  if (!text) return void 0;
  try {
    const v = JSON.parse(text);
    if (typeof v.version === "string" && Number.isSafeInteger(v.request_format))
      return { version: v.version.slice(0, 100), request_format: v.request_format };
  } catch {
  }
  return void 0;
}
var upgradeHint = (root) => `an administrator installs this action's build once with the remote.cjs of this action version (dist/remote.cjs in the action's repository at the ref the workflow uses): sudo node remote.cjs install --root ${root}`;
function chooseExecutor(server, build, opts) {
  return server.narrow ? chooseNarrow(server, build, opts) : chooseWide(server.installed, build.sha256);
}
function chooseWide(installed, sha256) {
  const upload = (note, warn = false) => ({ direct: false, note, warn });
  if (!installed) return upload("No installed executor to look at; uploading this build");
  const at = installed.path;
  switch (installed.state) {
    case "ok":
      return installed.sha256 === sha256 ? {
        executor: at,
        direct: false,
        warn: false,
        note: `Using the executor installed at ${at} (same build as this action)`
      } : upload(`The executor installed at ${at} is another build; uploading this one`);
    case "absent":
      return upload(`No executor installed at ${at} yet; uploading this build`);
    case "untrusted":
      return upload(
        `Not using the executor installed at ${at}: someone other than root could change it (${installed.reason}); uploading this build. Make root the owner of it and of the directories above it, writable by no one else`,
        true
      );
    case "unknown":
      return upload(
        `Could not check the executor installed at ${at} (${installed.reason}); uploading this build`
      );
  }
}
function chooseNarrow(server, build, opts) {
  const installed = server.installed;
  const at = installed?.path ?? `${opts.root}/releases/bin/seisei-deploy`;
  if (installed?.state !== "ok")
    throw new Error(
      `The deploy user's sudo allows only ${at}, but it ${installed?.state === "untrusted" ? `is not trustworthy (${installed.reason})` : `cannot be read there${installed?.reason ? ` (${installed.reason})` : ""}`}: ${upgradeHint(opts.root)}`
    );
  const narrow = { executor: at, direct: true, warn: false };
  if (installed.sha256 === build.sha256)
    return {
      ...narrow,
      note: `Using the executor installed at ${at} (same build as this action; the deploy user's sudo allows only it)`
    };
  const v = server.installedVersion;
  const what = `${at} is another build (${v ? `version ${v.version}, request format ${v.request_format}` : "an older version"}, sha256 ${installed.sha256.slice(0, 12)}\u2026) than this action (version ${build.version}, request format ${REQUEST_FORMAT}, sha256 ${build.sha256.slice(0, 12)}\u2026)`;
  if (opts.mismatch === "use-installed") {
    if (v?.request_format === REQUEST_FORMAT)
      return { ...narrow, note: `Using the installed executor: ${what} (executor_mismatch: use-installed)` };
    throw new Error(
      `The deploy user's sudo allows only the installed executor, and ${what}; it does not accept this action's request format, so executor_mismatch: use-installed cannot use it: ${upgradeHint(opts.root)}`
    );
  }
  throw new Error(
    `The deploy user's sudo allows only the installed executor, and ${what}. The action does not upload code to run as root in this mode: ${upgradeHint(opts.root)}; or set executor_mismatch: use-installed to run the installed one when it accepts this action's requests`
  );
}
var ACTION_VERSION = true ? "1.0.0" : "dev";

// src/render.ts
var secs = (ms) => ms === void 0 ? "" : ms < 1e4 ? `${(ms / 1e3).toFixed(1)} s` : `${Math.round(ms / 1e3)} s`;
var EventRenderer = class {
  constructor(out = core_exports) {
    this.out = out;
  }
  out;
  open;
  steps = [];
  annotated = /* @__PURE__ */ new Set();
  result;
  /** Renders one journal line (an event, or raw text that is shown as it is). */
  handle(e, raw) {
    if (!e) {
      if (raw !== void 0 && raw.trim()) this.print(raw);
      return;
    }
    if (e.type === "step") this.onStep(e);
    else if (e.type === "log") this.onLog(e);
    else if (e.type === "result") {
      this.close();
      this.result = e;
    }
  }
  /** Emits an error annotation once per distinct message. */
  annotate(msg) {
    if (!msg || this.annotated.has(msg)) return;
    this.annotated.add(msg);
    this.out.error(msg);
  }
  wasAnnotated(msg) {
    return this.annotated.has(msg);
  }
  /** Ends the open group, if any. */
  close() {
    if (this.open !== void 0) {
      this.out.endGroup();
      this.open = void 0;
    }
  }
  print(text) {
    for (const line of neutraliseLines(text)) this.out.info(line);
  }
  record(e) {
    let rec = [...this.steps].reverse().find((s) => s.step === e.step && s.status === "start");
    if (!rec || e.status === "start") {
      rec = { step: e.step, status: e.status, msg: e.msg };
      this.steps.push(rec);
    }
    rec.status = e.status;
    if (e.msg) rec.msg = e.msg;
    if (e.duration_ms !== void 0) rec.durationMs = e.duration_ms;
    return rec;
  }
  onStep(e) {
    const rec = this.record(e);
    if (e.status === "start") {
      this.close();
      this.out.startGroup(`\u25B6 ${e.step}`);
      this.open = e.step;
      if (e.msg) this.print(e.msg);
      return;
    }
    const own = this.open === e.step;
    if (!own) {
      this.close();
      this.out.startGroup(`\u25B6 ${e.step}`);
      this.open = e.step;
    }
    const took = secs(rec.durationMs);
    if (e.status === "ok") this.print(`\u2713 ${e.step}${e.msg ? `: ${e.msg}` : ""}${took ? ` (${took})` : ""}`);
    else if (e.status === "skipped") this.print(`\u2013 ${e.step} skipped${e.msg ? `: ${e.msg}` : ""}`);
    else {
      this.annotate(e.msg || `${e.step} failed`);
      this.print(`\u2717 ${e.step} failed${took ? ` after ${took}` : ""}`);
    }
    this.close();
  }
  onLog(e) {
    if (e.level === "error") this.annotate(e.msg);
    else if (e.level === "warn") this.out.warning(e.msg);
    else this.print(e.msg);
  }
};
var OUTPUT_NAMES = [
  "status",
  "release_id",
  "release_dir",
  "image_ref",
  "image_digest",
  "previous_release_id",
  "manifest"
];
function outputsOf(r) {
  const m = r.manifest ?? {};
  const str = (v) => typeof v === "string" ? v : v === void 0 || v === null ? "" : String(v);
  return {
    status: r.status,
    release_id: str(r.release_id ?? m.release_id),
    release_dir: str(r.release_dir ?? m.release_dir),
    image_ref: str(r.image_ref ?? m.image_ref),
    image_digest: str(r.image_digest ?? m.image_digest),
    previous_release_id: str(r.previous_release_id ?? m.previous_release_id),
    manifest: r.manifest ? JSON.stringify(r.manifest) : ""
  };
}
var statusWritten = false;
var haveStatus = () => statusWritten;
function setStatus(status) {
  setOutput("status", status);
  statusWritten = true;
}
function setOutputs(o) {
  for (const name of OUTPUT_NAMES) if (name !== "status") setOutput(name, o[name]);
  setStatus(o.status);
}
var escapeHtml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
var RESULT_ICON = {
  success: "\u2705 success",
  failed: "\u274C failed",
  rolled_back: "\u21A9\uFE0F rolled back"
};
async function writeSummary(r, ctx, steps) {
  const m = r.manifest ?? {};
  const pick = (...vals) => {
    for (const v of vals) if (v !== void 0 && v !== null && v !== "") return String(v);
    return "";
  };
  const bg = m.break_glass ?? ctx.breakGlass;
  const rows = [
    ["Stack", pick(r.stack, m.stack, ctx.stack)],
    ["Environment", pick(r.env, m.env, ctx.environment)],
    ["Image tag", pick(m.image_tag, ctx.imageTag)],
    ["Image digest", pick(r.image_digest, m.image_digest)],
    ["Image ref", pick(r.image_ref, m.image_ref)],
    ["Release", pick(r.release_id, m.release_id)],
    ["Previous release", pick(r.previous_release_id, m.previous_release_id)],
    ["Actor", pick(m.actor, ctx.actor)],
    ["Break glass", bg === true || bg === "true" ? "yes" : "no"],
    ["Break-glass reason", pick(m.break_glass_reason, ctx.breakGlass ? ctx.breakGlassReason : "")],
    ["Host", pick(ctx.host)],
    ["Run key", pick(ctx.runKey)],
    ["Result", `${RESULT_ICON[r.status] ?? r.status}${r.msg ? `: ${r.msg}` : ""}`]
  ];
  const durations = /* @__PURE__ */ new Map();
  for (const s2 of steps) durations.set(s2.step, { status: s2.status, ms: s2.durationMs });
  for (const [step, ms] of Object.entries(r.durations ?? {})) {
    const d = durations.get(step);
    durations.set(step, { status: d?.status ?? "ok", ms: d?.ms ?? ms });
  }
  const s = summary.addHeading(
    `seisei-deploy ${escapeHtml(ctx.mode)}${ctx.stack ? ` ${escapeHtml(ctx.stack)}` : ""}${ctx.environment ? ` \u2192 ${escapeHtml(ctx.environment)}` : ""}`,
    2
  ).addTable([
    [
      { data: "Field", header: true },
      { data: "Value", header: true }
    ],
    ...rows.filter(([, v]) => v !== "").map(([k, v]) => [k, escapeHtml(v)])
  ]);
  if (durations.size)
    s.addHeading("Steps", 3).addTable([
      [
        { data: "Step", header: true },
        { data: "Status", header: true },
        { data: "Duration", header: true }
      ],
      ...[...durations].map(([step, d]) => [escapeHtml(step), escapeHtml(d.status), secs(d.ms)])
    ]);
  try {
    await s.write();
  } catch (err) {
    debug(`step summary not written: ${err.message}`);
    s.emptyBuffer();
  }
}
async function reportResult(r, ctx, renderer) {
  renderer.close();
  setOutputs(outputsOf(r));
  await writeSummary(r, ctx, renderer.steps);
  if (r.status === "success") info(safeText(`\u2705 ${r.msg || `${ctx.mode} succeeded`}`));
  else {
    const msg = r.msg || `${ctx.mode} ${r.status === "rolled_back" ? "failed and was rolled back" : "failed"}`;
    renderer.annotate(msg);
    process.exitCode = ExitCode.Failure;
  }
}
function statusProblems(report) {
  const o = report && typeof report === "object" ? report : {};
  const stacks = Array.isArray(o.stacks) ? o.stacks : [];
  return stacks.flatMap(
    (e) => (Array.isArray(e?.problems) ? e.problems : []).map((p) => ({
      stack: typeof e.stack === "string" ? e.stack : "?",
      severity: typeof p?.severity === "string" ? p.severity : "",
      message: typeof p?.message === "string" ? p.message : JSON.stringify(p)
    }))
  );
}
var statusDrift = (report) => statusProblems(report).filter((p) => p.severity === "drift");
function driftMessage(host, drift) {
  const stacks = [...new Set(drift.map((d) => d.stack))];
  return [
    `Drift on ${host} in ${stacks.length === 1 ? "stack" : "stacks"} ${stacks.join(", ")} (${drift.length} problem${drift.length === 1 ? "" : "s"}):`,
    ...drift.map((d) => `- ${d.stack}: ${d.message}`)
  ].join("\n");
}
async function writeStatusSummary(status, host) {
  const o = status && typeof status === "object" ? status : {};
  const stacks = Array.isArray(o.stacks) ? o.stacks : [];
  const str = (v) => v === void 0 || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
  const s = summary.addHeading(`seisei-deploy status on ${escapeHtml(host)}`, 2);
  if (stacks.length)
    s.addTable([
      ["Stack", "Environment", "Live release", "Image digest", "Deployed", "Actor", "Consistent"].map(
        (h) => ({ data: h, header: true })
      ),
      ...stacks.map((e) => {
        const m = e.manifest ?? {};
        return [
          e.stack,
          m.env,
          e.live_release ?? m.release_id,
          m.image_digest,
          m.deployed_at_utc,
          m.actor,
          e.consistent === false ? "no" : "yes"
        ].map((v) => escapeHtml(str(v)));
      })
    ]);
  else s.addRaw("No stack found on this server.", true);
  const problems = statusProblems(status);
  const listed = (severity) => problems.filter((p) => p.severity === severity).map((p) => `<code>${escapeHtml(p.stack)}</code>: ${escapeHtml(p.message)}`);
  const drift = listed("drift");
  if (drift.length) s.addHeading("\u274C Drift", 3).addList(drift);
  const warnings = listed("warning");
  if (warnings.length) s.addHeading("\u26A0\uFE0F Warnings", 3).addList(warnings);
  try {
    await s.write();
  } catch (err) {
    debug(`step summary not written: ${err.message}`);
    s.emptyBuffer();
  }
}

// src/host-key.ts
import { createHash, createHmac } from "node:crypto";
var HostKeyError = class extends Error {
  name = "HostKeyError";
};
var KEY_TYPES = /* @__PURE__ */ new Set([
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "ssh-dss"
]);
var EXPECTED = 'each line must be a fingerprint "SHA256:<base64>" (ssh-keygen -lf key.pub) or a known_hosts line "[host]:port key-type base64" / "host key-type base64" (ssh-keyscan -p PORT HOST)';
function fingerprintOfBlob(blob) {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}
function keyTypeOfBlob(blob) {
  if (blob.length < 4) return "unknown";
  const len = blob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > blob.length) return "unknown";
  return blob.subarray(4, 4 + len).toString("latin1");
}
function parseHostKeys(text) {
  const pins = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    let line = raw.trim();
    const n = i + 1;
    if (!line || line.startsWith("#")) return;
    const keygen = /^\d+\s+(SHA256:\S+)(\s.*)?$/.exec(line);
    if (keygen) line = keygen[1];
    const bad = (why) => {
      throw new HostKeyError(`host_key: line ${n}: ${why}; ${EXPECTED}`);
    };
    if (/^MD5:/i.test(line)) bad("MD5 fingerprints are not accepted, use the SHA256 fingerprint");
    if (/^SHA256:/i.test(line)) {
      if (!line.startsWith("SHA256:")) bad('write the prefix as "SHA256:"');
      const b642 = line.slice(7).replace(/=+$/, "");
      if (!/^[A-Za-z0-9+/]{43}$/.test(b642))
        bad('a SHA256 fingerprint is "SHA256:" followed by 43 base64 characters');
      pins.push({ fingerprint: "SHA256:" + b642, line: n });
      return;
    }
    const fields = line.split(/\s+/);
    if (fields[0].startsWith("@"))
      bad(
        `known_hosts markers such as ${fields[0]} (certificate authorities, revocations) are not supported`
      );
    if (fields.length < 3) bad("a known_hosts line has at least three fields: hosts, key type, base64 key");
    const [hosts, keyType, b64] = fields;
    if (!KEY_TYPES.has(keyType)) bad(`unknown key type ${JSON.stringify(keyType.slice(0, 40))}`);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) bad("the key is not base64");
    const blob = Buffer.from(b64, "base64");
    if (keyTypeOfBlob(blob) !== keyType) bad(`the base64 key is not a ${keyType} key`);
    pins.push({ fingerprint: fingerprintOfBlob(blob), keyType, hosts, line: n });
  });
  if (!pins.length)
    throw new HostKeyError(
      `host_key: required (it holds no key); host key verification cannot be turned off; ${EXPECTED}`
    );
  return pins;
}
function knownHostsName(host, port) {
  return port === 22 ? host : `[${host}]:${port}`;
}
function globToRegExp(pattern) {
  const esc = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${esc}$`, "i");
}
function hostFieldMatches(field, host, port) {
  const name = knownHostsName(host, port);
  if (field.startsWith("|1|")) {
    const [, , salt, hash] = field.split("|");
    if (!salt || !hash) return false;
    const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  let matched = false;
  for (const pat of field.split(",")) {
    if (pat.startsWith("!")) {
      if (globToRegExp(pat.slice(1)).test(name)) return false;
    } else if (globToRegExp(pat).test(name)) matched = true;
  }
  return matched;
}
function pinsForHost(pins, host, port) {
  return pins.filter((p) => p.hosts === void 0 || hostFieldMatches(p.hosts, host, port));
}
function checkHostKey(pins, blob) {
  const fingerprint = fingerprintOfBlob(blob);
  const keyType = keyTypeOfBlob(blob);
  const ok = pins.some(
    (p) => p.fingerprint === fingerprint && (p.keyType === void 0 || p.keyType === keyType)
  );
  return { ok, fingerprint, keyType };
}
function hostKeyAlgorithms(pins) {
  if (pins.some((p) => p.keyType === void 0)) return void 0;
  const algs = [];
  for (const p of pins) {
    const add = p.keyType === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [p.keyType];
    for (const a of add) if (!algs.includes(a)) algs.push(a);
  }
  return algs;
}
function describePins(pins) {
  return pins.map((p) => p.keyType ? `${p.keyType} ${p.fingerprint}` : p.fingerprint).join(", ");
}

export {
  HostKeyError,
  parseHostKeys,
  knownHostsName,
  pinsForHost,
  checkHostKey,
  hostKeyAlgorithms,
  describePins,
  deployRequest,
  rollbackRequest,
  formatIssues,
  EXECUTOR_MISMATCH,
  parseInstalledVersion,
  upgradeHint,
  chooseExecutor,
  ACTION_VERSION,
  EventRenderer,
  haveStatus,
  setStatus,
  setOutputs,
  reportResult,
  statusDrift,
  driftMessage,
  writeStatusSummary
};
