import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  ExitCode,
  core_exports,
  debug,
  info,
  setOutput,
  summary
} from "./chunk-RVQ3CD3O.js";

// src/render.ts
function neutralize(line) {
  const t = line.trimStart();
  return t.startsWith("::") || t.startsWith("##[") ? `| ${line}` : line;
}
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
    for (const line of text.split(/\r?\n/)) this.out.info(neutralize(line));
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
  if (r.status === "success") info(`\u2705 ${r.msg || `${ctx.mode} succeeded`}`);
  else {
    const msg = r.msg || `${ctx.mode} ${r.status === "rolled_back" ? "failed and was rolled back" : "failed"}`;
    renderer.annotate(msg);
    process.exitCode = ExitCode.Failure;
  }
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
  EventRenderer,
  haveStatus,
  setStatus,
  setOutputs,
  reportResult,
  writeStatusSummary
};
