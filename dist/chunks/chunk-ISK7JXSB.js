import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  ACTION_VERSION,
  DEFAULT_ROOT,
  asRoot,
  checkHostKey,
  chooseExecutor,
  deployRequest,
  describePins,
  describeProvenance,
  formatIssues,
  hostKeyAlgorithms,
  installedExecutorScript,
  layout,
  localRemoteScript,
  parseInstalled,
  parseInstalledVersion,
  rollbackRequest,
  sha256Hex,
  shellJoin,
  shellQuote,
  upgradeHint
} from "./chunk-24WOHV2D.js";
import {
  outputsOf,
  setOutputs
} from "./chunk-VITA26D3.js";
import {
  neutraliseLines,
  safeText
} from "./chunk-5XLKRPSF.js";
import {
  resolveImageVars
} from "./chunk-2HTZ3WDJ.js";
import {
  RUN_KEY_RE
} from "./chunk-JL5PL23L.js";
import {
  ExitCode,
  core_exports,
  debug,
  group,
  info,
  summary,
  warning
} from "./chunk-RR2G3LBB.js";

// src/report/renderer.ts
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
  /** The step's entry in `steps` (a new one for each start), updated with the event. */
  track(e) {
    let entry = [...this.steps].reverse().find((s) => s.step === e.step && s.status === "start");
    if (!entry || e.status === "start") {
      entry = { step: e.step, status: e.status, msg: e.msg };
      this.steps.push(entry);
    }
    entry.status = e.status;
    if (e.msg) entry.msg = e.msg;
    if (e.duration_ms !== void 0) entry.durationMs = e.duration_ms;
    return entry;
  }
  onStep(e) {
    const step = this.track(e);
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
    const took = secs(step.durationMs);
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

// src/report/summary.ts
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
    ["Provenance", m.provenance ? describeProvenance(m.provenance) : ""],
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
  await writeOrSkip(s);
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
async function writeOrSkip(s) {
  try {
    await s.write();
  } catch (err) {
    debug(`step summary not written: ${err.message}`);
    s.emptyBuffer();
  }
}

// src/modes/on-host.ts
import { readFileSync } from "node:fs";

// src/ssh/connection.ts
import { connect as tcpConnect } from "node:net";

// src/ssh/errors.ts
var SshError = class extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
  kind;
  name = "SshError";
};
var where = (t) => `${t.host}:${t.port}`;
function describeConnectError(err, t, presented) {
  const e = err;
  const msg = e?.message ?? String(err);
  if (presented && !presented.ok)
    return new SshError(
      "host_key",
      `Host key verification failed for ${where(t)}: the server presented ${presented.keyType} ${presented.fingerprint}, but host_key pins ${describePins(t.hostKeys)}. Refused before authentication: no credentials were sent and nothing ran on the server. If the server's key changed on purpose, update host_key (ssh-keyscan -p ${t.port} ${t.host} | ssh-keygen -lf -).`
    );
  if (/Cannot parse privateKey|does not contain a \(valid\) private key/i.test(msg)) {
    if (/passphrase|encrypted|decrypt|bad decrypt/i.test(msg))
      return new SshError(
        "key",
        `passphrase: the private_key is encrypted and passphrase is missing or wrong (${msg})`
      );
    return new SshError(
      "key",
      `private_key: cannot be parsed (${msg}); expected an unencrypted or passphrase-protected OpenSSH/PEM private key`
    );
  }
  if (e?.level === "client-authentication")
    return new SshError(
      "auth",
      `Authentication failed for ${t.username}@${where(t)}: check private_key/passphrase and authorized_keys (the server's host key was verified)`
    );
  switch (e?.code) {
    case "ECONNREFUSED":
      return new SshError(
        "unreachable",
        `Cannot connect to ${where(t)}: connection refused (is sshd running there, and is port ${t.port} right?)`
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new SshError(
        "unreachable",
        `Cannot connect to ${where(t)}: the host name ${t.host} cannot be resolved (${e.code})`
      );
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new SshError(
        "unreachable",
        `Cannot connect to ${where(t)}: the host is unreachable (${e.code})`
      );
    case "ETIMEDOUT":
      return new SshError(
        "timeout",
        `Cannot connect to ${where(t)}: no answer within ${Math.round(t.readyTimeoutMs / 1e3)} s (firewall, wrong host or port?)`
      );
    case "ECONNRESET":
      return new SshError(
        "connection",
        `Connection to ${where(t)} was reset during the SSH handshake (${msg})`
      );
  }
  if (e?.level === "client-timeout" || /Timed out while waiting for handshake/i.test(msg))
    return new SshError(
      "timeout",
      `Cannot connect to ${where(t)}: no SSH handshake within ${Math.round(t.readyTimeoutMs / 1e3)} s (is it an SSH server?)`
    );
  return new SshError("connection", `Cannot connect to ${t.username}@${where(t)}: ${msg}`);
}

// src/ssh/connection.ts
var SshSession = class {
  constructor(target, ssh) {
    this.target = target;
    this.ssh = ssh;
    const client = this.client;
    client.on("error", (err) => {
      this.lastError = err;
    });
    const onClose = () => {
      this.closedFlag = true;
      for (const w of this.closeWaiters) w();
    };
    client.on("close", onClose);
    client.on("end", onClose);
  }
  target;
  ssh;
  closedFlag = false;
  lastError;
  closeWaiters = /* @__PURE__ */ new Set();
  get client() {
    return this.ssh.connection;
  }
  get closed() {
    return this.closedFlag || this.ssh.connection == null;
  }
  /** Why the connection ended, when it did. */
  get closeReason() {
    return this.lastError ? this.lastError.message : "the connection was closed";
  }
  /** Runs one command; resolves when its channel closes (also when the connection drops). */
  exec(command, opts = {}) {
    return new Promise((resolve, reject) => {
      if (this.closed)
        return reject(
          new SshError(
            "connection",
            `SSH connection to ${where(this.target)} is closed: ${this.closeReason}`
          )
        );
      if (opts.signal?.aborted)
        return resolve({ code: null, signal: null, stdout: "", stderr: "", aborted: true });
      const out = [];
      const err = [];
      let code = null;
      let sig = null;
      let timedOut = false;
      let aborted = false;
      let done = false;
      let channel;
      let timer;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        this.closeWaiters.delete(finish);
        resolve({
          code,
          signal: sig,
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
          ...timedOut ? { timedOut } : {},
          ...aborted ? { aborted } : {}
        });
      };
      const stop = () => {
        try {
          channel?.close();
        } catch {
        }
        finish();
      };
      const onAbort = () => {
        aborted = true;
        stop();
      };
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.closeWaiters.add(finish);
      if (opts.timeoutMs !== void 0)
        timer = setTimeout(
          () => {
            timedOut = true;
            stop();
          },
          Math.max(0, opts.timeoutMs)
        );
      let ok;
      try {
        ok = this.client.exec(command, (e, ch) => {
          if (e) {
            if (done) return;
            done = true;
            clearTimeout(timer);
            opts.signal?.removeEventListener("abort", onAbort);
            this.closeWaiters.delete(finish);
            return reject(
              new SshError("connection", `cannot run a command on ${where(this.target)}: ${e.message}`)
            );
          }
          channel = ch;
          if (done) return stop();
          ch.on("data", (d) => opts.onStdout ? opts.onStdout(d) : out.push(d));
          ch.stderr.on("data", (d) => err.push(d));
          ch.on("exit", (c, s) => {
            code = typeof c === "number" ? c : null;
            sig = s ?? null;
          });
          ch.on("close", finish);
          ch.on("error", () => void 0);
          if (!opts.stdinLater) ch.end(opts.stdin);
          else {
            const quietly = (f) => {
              try {
                f();
              } catch {
              }
            };
            opts.stdinLater({
              write: (d) => quietly(() => ch.write(d)),
              end: (d) => quietly(() => ch.end(d))
            });
          }
        });
      } catch (e) {
        ok = false;
        this.lastError = e;
      }
      if (ok === false && !channel && this.closed) finish();
    });
  }
  close() {
    this.closedFlag = true;
    try {
      this.ssh.dispose();
    } catch {
    }
  }
};
async function socketAndClient(target) {
  const sock = tcpConnect({ host: target.host, port: target.port, noDelay: true });
  sock.setMaxListeners(0);
  let early;
  const onEarly = (e) => void (early ??= e);
  sock.on("error", onEarly);
  const { NodeSSH } = await import("./esm-QV4GCI5Y.js");
  sock.removeListener("error", onEarly);
  if (early || sock.destroyed) {
    sock.destroy();
    throw early ?? new Error("the connection was closed before the SSH handshake");
  }
  return { sock, ssh: new NodeSSH() };
}
async function connect(target) {
  let presented;
  let opened;
  try {
    opened = await socketAndClient(target);
  } catch (err) {
    throw describeConnectError(err, target, presented);
  }
  const { sock, ssh } = opened;
  const algorithms = hostKeyAlgorithms(target.hostKeys);
  try {
    await ssh.connect({
      sock,
      username: target.username,
      privateKey: target.privateKey,
      ...target.passphrase ? { passphrase: target.passphrase } : {},
      hostVerifier: (key) => {
        presented = checkHostKey(target.hostKeys, key);
        return presented.ok;
      },
      ...algorithms ? { algorithms: { serverHostKey: algorithms } } : {},
      readyTimeout: target.readyTimeoutMs,
      keepaliveInterval: target.keepaliveIntervalMs,
      keepaliveCountMax: target.keepaliveCountMax,
      tryKeyboard: false,
      agent: void 0
    });
  } catch (err) {
    ssh.dispose();
    sock.destroy();
    throw describeConnectError(err, target, presented);
  }
  if (!presented?.ok) {
    ssh.dispose();
    throw new SshError("host_key", `Host key of ${where(target)} was not verified; refusing to continue`);
  }
  return new SshSession(target, ssh);
}

// src/ssh/send-file.ts
var TEMP_DIR_RE = /^\/[A-Za-z0-9._/-]*\/seisei-deploy\.[A-Za-z0-9]{6,}$/;
var SENT_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
function sendFileScript(file, dir) {
  if (!SENT_NAME_RE.test(file.name)) throw new Error(`internal: bad file name ${JSON.stringify(file.name)}`);
  if (!/^[0-9a-f]{64}$/.test(file.sha256)) throw new Error(`internal: bad sha256 ${file.sha256}`);
  if (dir !== void 0 && !TEMP_DIR_RE.test(dir)) throw new Error(`internal: bad temp dir ${dir}`);
  const undo = dir === void 0 ? 'rm -rf -- "$d"' : 'rm -f -- "$f"';
  return [
    "umask 077; set -C",
    dir === void 0 ? `d=$(mktemp -d "\${TMPDIR:-/tmp}/seisei-deploy.XXXXXXXXXX") || exit 1; echo "dir=$d"` : `d=${shellQuote(dir)}`,
    `f="$d/"${shellQuote(file.name)}`,
    // Never over an existing entry (and set -C makes the redirection refuse one, too).
    `if [ -e "$f" ] || [ -L "$f" ]; then echo "$f exists already" >&2; exit 3; fi`,
    `cat > "$f" || { echo "cannot write $f" >&2; ${undo}; exit 3; }`,
    `h=$(sha256sum < "$f"); h=\${h%% *}`,
    `if [ "$h" = ${file.sha256} ]; then echo "sent=$h"; else echo "the file arrived with sha256 \${h:-?}, sent ${file.sha256}" >&2; ${undo}; exit 3; fi`
  ].join("\n");
}

// src/host/check-channel.ts
import { randomBytes } from "node:crypto";

// src/ssh/preflight.ts
var installedExecutor = (root) => layout(root).cli;
var USER_TOOLS = ["mktemp", "cat", "sha256sum", "stat", "rm"];
function preflightScript(r) {
  return [
    `N=${shellQuote(r.node)}`,
    r.sudo ? `if ! command -v sudo >/dev/null 2>&1; then echo sudo=missing; exit 0; fi; if sudo -n true 2>/dev/null; then echo sudo=ok; S='sudo -n'; ` + (r.root ? narrowSudoProbe(installedExecutor(r.root)) : "") + `else echo sudo=fail; exit 0; fi` : `S=''`,
    // With narrow sudo, Node.js and Docker cannot be asked as root; the executor's preflight checks Docker.
    // Node.js and Docker are asked at the same time as the rest (each answer is one line, written
    // at once; the parser takes them in any order); `wait` ends the check when all have answered.
    // `node --version` answers before node starts its JavaScript engine (≈ 1 ms against ≈ 60 ms
    // for `node -e`), and a Node.js too old to parse the executor answers it too.
    `if [ "$S" != narrow ]; then`,
    `{ if v=$($S "$N" --version 2>&1); then echo "node=ok $v"; else echo "node=fail $(printf %s "$v" | tr '\\n' ' ' | cut -c1-300)"; fi; } &`,
    `{ if d=$($S docker version --format '{{.Server.Version}}' 2>&1); then echo "docker=ok $d"; else echo "docker=fail $(printf %s "$d" | tr '\\n' ' ' | cut -c1-300)"; fi; } &`,
    `fi`,
    // command -v only tells whether a name runs (for a builtin it prints the bare name).
    `m=; for t in ${USER_TOOLS.join(" ")}; do command -v "$t" >/dev/null 2>&1 || m="$m $t"; done; echo "tools=\${m# }"`,
    ...r.root ? [installedExecutorScript(installedExecutor(r.root))] : [],
    `wait`
  ].join("\n");
}
function narrowSudoProbe(exe) {
  const q = shellQuote(exe);
  return `elif sudo -n -l ${q} >/dev/null 2>&1; then echo sudo=narrow; S=narrow; echo "exe=$(sudo -n ${q} version --json 2>/dev/null | head -c 500 | tr '\\n' ' ')"; `;
}
function checkPreflight(stdout, r, t) {
  const facts = /* @__PURE__ */ new Map();
  for (const line of stdout.split("\n")) {
    const m = /^(sudo|node|docker|tools|cli|exe)=(.*)$/.exec(line.trim());
    if (m && !facts.has(m[1])) facts.set(m[1], m[2]);
  }
  const fail = (problems2) => new SshError("preflight", `Server check failed on ${t.host}:
  - ${problems2.join("\n  - ")}`);
  const sudo = facts.get("sudo");
  const narrow = r.sudo && sudo === "narrow";
  if (r.sudo && sudo !== "ok" && !narrow)
    throw fail([
      sudo === "missing" ? `sudo is not installed on ${t.host}; install it, or set sudo: false if ${t.username} may run Docker and write srv_root itself` : `passwordless sudo is not available for ${t.username} on ${t.host} ('sudo -n true' failed): allow it in sudoers for true, node and docker (see docs/server-setup.md, "sudo for the deploy user"); or, for sudo that allows only the installed executor, install it (${upgradeHint(r.root ?? DEFAULT_ROOT)}) and allow exactly ${installedExecutor(r.root ?? DEFAULT_ROOT)}; or set sudo: false if ${t.username} may run Docker and write srv_root itself`
    ]);
  const problems = [];
  const runtime = narrow ? { nodeVersion: "", dockerVersion: "" } : checkRuntime(facts, r, t, problems);
  const tools = facts.get("tools");
  if (tools === void 0) problems.push(`the server check's list of tools got no answer on ${t.host}`);
  else if (tools.trim())
    problems.push(
      `${tools.trim().split(/\s+/).join(", ")} not found in the PATH of ${t.username} on ${t.host}: the action runs them as ${t.username} to send and check the executor (install coreutils)`
    );
  if (problems.length) throw fail(problems);
  const installedVersion = narrow ? parseInstalledVersion(facts.get("exe")?.trim()) : void 0;
  return {
    ...runtime,
    ...r.root ? { installed: parseInstalled(facts.get("cli"), installedExecutor(r.root)) } : {},
    ...narrow ? { narrow } : {},
    ...installedVersion ? { installedVersion } : {}
  };
}
function checkRuntime(facts, r, t, problems) {
  const via = r.sudo ? " (run via sudo -n)" : "";
  const node = facts.get("node") ?? "fail (no answer)";
  let nodeVersion = "";
  const nv = /^ok v?(\d+)\.(\d+)\.(\d+)/.exec(node);
  if (!nv)
    problems.push(
      `Node.js is not runnable as ${shellQuote(r.node)}${via} on ${t.host}: ${node.replace(/^fail ?/, "") || "no output"}; install Node.js >= 18 or set remote_node to its absolute path` + (r.sudo ? " (sudo uses secure_path, which may not include /usr/local/bin)" : "")
    );
  else {
    nodeVersion = `${nv[1]}.${nv[2]}.${nv[3]}`;
    if (Number(nv[1]) < 18)
      problems.push(
        `Node.js ${nodeVersion} at ${shellQuote(r.node)}${via} on ${t.host} is too old: the executor needs Node.js >= 18 (set remote_node to a newer one)`
      );
  }
  const docker = facts.get("docker") ?? "fail (no answer)";
  let dockerVersion = "";
  if (docker.startsWith("ok ")) dockerVersion = docker.slice(3).trim();
  else
    problems.push(
      `'docker version'${via} failed on ${t.host}: ${docker.replace(/^fail ?/, "") || "no output"}; install Docker Engine and make sure its daemon is running`
    );
  return { nodeVersion, dockerVersion };
}

// src/ssh/channel.ts
var CHANNEL_WORD_RE = /^[a-z][a-z-]{0,30}$/;
var DECLINE_WORD = "no";
var NONCE_RE = /^[0-9a-f]{16,64}$/;
var factsEndLine = (nonce) => `end=${nonce}`;
function checkChannelScript(r, nonce, commands = {}) {
  if (!NONCE_RE.test(nonce)) throw new Error(`internal: bad channel nonce ${nonce}`);
  const lines = [`(`, preflightScript(r), `) </dev/null`, `echo ${factsEndLine(nonce)}`];
  const words = Object.keys(commands);
  if (!words.length) return lines.join("\n");
  for (const w of [...words, DECLINE_WORD])
    if (!CHANNEL_WORD_RE.test(w) || w === DECLINE_WORD && w in commands)
      throw new Error(`internal: bad channel word ${w}`);
  return [
    ...lines,
    `IFS= read -r w || exit 0`,
    `case $w in`,
    ...words.map((w) => `  ${w}) exec ${asRoot(r)}${shellJoin(commands[w])} ;;`),
    `esac`,
    `exit 0`
  ].join("\n");
}
var channelInput = (word, input = "") => {
  if (!CHANNEL_WORD_RE.test(word)) throw new Error(`internal: bad channel word ${word}`);
  return `${word}
${input}`;
};
var HeadSplitter = class {
  constructor(last, maxHeadBytes = 1024 * 1024) {
    this.last = last;
    this.maxHeadBytes = maxHeadBytes;
  }
  last;
  maxHeadBytes;
  parts = [];
  size = 0;
  scanned = 0;
  head;
  overflow = false;
  get done() {
    return this.head !== void 0;
  }
  /** Feeds a chunk; returns the bytes after the head it holds (empty while the head is not complete). */
  push(chunk) {
    if (this.done) return chunk;
    this.parts.push(chunk);
    this.size += chunk.length;
    const all = Buffer.concat(this.parts, this.size);
    this.parts = [all];
    for (let nl = all.indexOf(10, this.scanned); nl !== -1; nl = all.indexOf(10, this.scanned)) {
      const line = all.subarray(this.scanned, nl).toString("utf8").replace(/\r$/, "");
      this.scanned = nl + 1;
      if (this.last(line)) return this.finish(all, nl + 1);
    }
    if (this.size > this.maxHeadBytes) {
      this.overflow = true;
      return this.finish(all, this.size);
    }
    return Buffer.alloc(0);
  }
  /** The head so far, when the stream ended before its last line. */
  partial() {
    return this.head ?? Buffer.concat(this.parts, this.size).toString("utf8");
  }
  finish(all, at) {
    this.head = all.subarray(0, at).toString("utf8");
    this.parts = [];
    this.size = 0;
    return all.subarray(at);
  }
};

// common/events.ts
function parseEventLine(line) {
  if (!line.trim()) return void 0;
  try {
    const e = JSON.parse(line);
    return e && e.v === 1 && typeof e.type === "string" ? e : void 0;
  } catch {
    return void 0;
  }
}

// src/host/channel.ts
var OpenChannel = class {
  done;
  result;
  stdin;
  worded = false;
  ctl = new AbortController();
  facts;
  check;
  start;
  body = [];
  sink;
  wake = [];
  timedOut = false;
  /**
   * Runs `command`. With `factsNonce` its stdout begins with the server check's facts and stdin
   * stays open for the word (go()); else `stdin` is sent at once and, with `startLine`, the first
   * line is the start information.
   */
  constructor(ssh, command, opts) {
    if (opts.factsNonce) {
      const end = factsEndLine(opts.factsNonce);
      this.facts = new HeadSplitter((l) => l === end, 256 * 1024);
    }
    if (opts.startLine) this.start = new HeadSplitter(() => true, 256 * 1024);
    const exec = {
      signal: this.ctl.signal,
      onStdout: (chunk) => this.take(chunk),
      ...opts.factsNonce ? { stdinLater: (stdin) => void (this.stdin = stdin) } : { stdin: opts.stdin ?? "" }
    };
    this.done = ssh.exec(command, exec).then(
      (r) => this.ended(r),
      (err) => {
        this.ended({ code: null, signal: null, stdout: "", stderr: String(err) });
        throw err;
      }
    );
    this.done.catch(() => void 0);
  }
  get closed() {
    return this.result !== void 0;
  }
  /** Waits for the facts (up to `end=<nonce>`), the channel's end, or `timeoutMs`. */
  async waitFacts(timeoutMs) {
    const ok = await this.until(() => this.facts?.done ?? true, timeoutMs);
    if (!ok) this.stop(true);
    if (this.facts?.done && !this.facts.overflow) return { text: this.facts.head };
    return { closed: this.flagged(await this.done), text: this.facts?.partial() };
  }
  /**
   * Sends the word and the input of its command: the rest of stdin, or with `keepOpen` one line
   * of it (a dry run whose process then takes the run: `thenRun()` sends that, or `decline()` EOF);
   * `untilResult` ends the head at the dry run's result line.
   */
  go(word, input = "", opts = {}) {
    if (opts.untilResult) this.headAfter("check", (l) => parseEventLine(l)?.type === "result");
    if (opts.startLine) this.headAfter("start", () => true);
    this.worded = true;
    if (opts.keepOpen) this.stdin?.write(channelInput(word, `${input}
`));
    else this.end(channelInput(word, input));
  }
  /** After a dry run kept the channel (go with keepOpen), sends the run's input: its start line follows. */
  thenRun(input) {
    this.headAfter("start", () => true);
    this.end(`${input}
`);
  }
  /** Ends the channel's stdin: before a word it says `no` (nothing runs), after a dry run it is EOF. */
  decline() {
    this.end(this.worded ? void 0 : `${DECLINE_WORD}
`);
  }
  end(data) {
    this.stdin?.end(data);
    this.stdin = void 0;
  }
  /** Starts a head phase; bytes that arrived before it pass through it first. */
  headAfter(which, last) {
    this[which] = new HeadSplitter(last, which === "check" ? 4 * 1024 * 1024 : 256 * 1024);
    const early = this.body;
    this.body = [];
    for (const b of early) this.take(b);
  }
  /** Waits for the dry run's output up to its result line, the channel's end, or `timeoutMs`. */
  async waitCheck(timeoutMs) {
    const ok = await this.until(() => this.check?.done ?? true, timeoutMs);
    if (!ok) this.stop(true);
    if (this.check?.done && !this.check.overflow) return { text: this.check.head };
    return { closed: this.flagged(await this.done), text: this.check?.partial() };
  }
  /** Waits for the start line, the channel's end, or `timeoutMs` (then closes it). */
  async waitStart(timeoutMs) {
    const ok = await this.until(() => this.start?.done ?? true, timeoutMs);
    if (!ok) this.stop(true);
    if (this.start?.done && !this.start.overflow) return { text: this.start.head };
    return { closed: this.flagged(await this.done) };
  }
  /**
   * Hands the bytes after the heads to `opts.onStdout` (those received so far first) until the
   * channel closes: as one `follow` exec would (timeoutMs and signal included).
   */
  async stream(opts) {
    this.sink = opts.onStdout;
    const early = this.body;
    this.body = [];
    for (const b of early) this.sink?.(b);
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      this.stop(false);
    };
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = opts.timeoutMs === void 0 ? void 0 : setTimeout(() => this.stop(true), Math.max(0, opts.timeoutMs));
    try {
      const r = await this.done;
      const { aborted: _, timedOut: __, ...rest } = r;
      return {
        ...rest,
        stdout: "",
        ...this.timedOut ? { timedOut: true } : {},
        ...aborted ? { aborted: true } : {}
      };
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }
  /** The whole output after the heads, once the channel closes (a dry run's stdout). */
  async output(opts) {
    const chunks = [];
    const r = await this.stream({ ...opts, onStdout: (c) => chunks.push(c) });
    return { ...r, stdout: Buffer.concat(chunks).toString("utf8") };
  }
  /** Closes the channel (the remote command gets EOF/SIGPIPE; a detached run is unaffected). */
  close() {
    this.decline();
    this.stop(false);
  }
  /** The exec's result, timedOut when a wait here ran out (the exec only saw an abort). */
  flagged(r) {
    if (!this.timedOut) return r;
    const { aborted: _, ...rest } = r;
    return { ...rest, timedOut: true };
  }
  stop(timedOut) {
    if (this.closed) return;
    if (timedOut) this.timedOut = true;
    this.ctl.abort();
  }
  take(chunk) {
    let rest = chunk;
    for (const head of [this.facts, this.check, this.start]) {
      if (!head || head.done) continue;
      rest = head.push(rest);
      if (head.done) this.notify();
      if (!rest.length) return;
    }
    if (this.sink) this.sink(rest);
    else this.body.push(rest);
  }
  ended(r) {
    this.result = r;
    this.notify();
    return r;
  }
  notify() {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }
  /** Resolves true when `cond` holds or the channel closed, false after timeoutMs. */
  until(cond, timeoutMs) {
    return new Promise((resolve) => {
      const check = () => {
        if (cond() || this.closed) {
          clearTimeout(timer);
          resolve(true);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const loop = () => {
        if (!check()) this.wake.push(loop);
      };
      loop();
    });
  }
};

// src/host/upload.ts
var RemoteError = class extends Error {
  name = "RemoteError";
};
async function sendFile(ssh, f, dir) {
  const host = ssh.target.host;
  const sha256 = sha256Hex(f.data);
  const res = await ssh.exec(sendFileScript({ name: f.name, sha256 }, dir), {
    stdin: f.data,
    timeoutMs: 12e4
  });
  const made = /^dir=(.*)$/m.exec(res.stdout)?.[1];
  if (made !== void 0 && !dir) {
    if (!TEMP_DIR_RE.test(made))
      throw new RemoteError(
        `cannot create a temporary directory on ${host}: mktemp -d answered ${JSON.stringify(made.slice(0, 200))}`
      );
    dir = made;
  }
  if (res.code === 0 && dir && new RegExp(`^sent=${sha256}$`, "m").test(res.stdout)) return dir;
  const why = res.code === null ? res.timedOut ? "timed out" : ssh.closeReason : `exit ${res.code}: ${(res.stderr || res.stdout).trim().slice(-500) || "no output"}`;
  throw new RemoteError(`cannot send ${f.name} to ${host}${dir ? `:${dir}` : ""}: ${why}`);
}
function removeAfterScript(dir, pid) {
  if (!TEMP_DIR_RE.test(dir)) throw new Error(`internal: bad temp dir ${dir}`);
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`internal: bad pid ${pid}`);
  const wait = `while [ -d /proc/${pid} ]; do sleep 5; done; rm -rf -- "$0"`;
  return `nohup sh -c ${shellQuote(wait)} ${shellQuote(dir)} >/dev/null 2>&1 </dev/null &`;
}
function removeNowScript(dir) {
  if (!TEMP_DIR_RE.test(dir)) throw new Error(`internal: bad temp dir ${dir}`);
  return `rm -rf -- ${shellQuote(dir)}`;
}

// src/host/check-channel.ts
var CHECK_TIMEOUT_MS = 6e4;
function channelCommands(server, plan) {
  const cli = layout(server.root).cli;
  const out = {};
  const add = (what, args) => {
    out[`node-${what}`] = [server.node, cli, ...args];
    out[`direct-${what}`] = [cli, ...args];
  };
  for (const k of [plan.runKey, plan.checkKey])
    if (k !== void 0 && !RUN_KEY_RE.test(k)) throw new RemoteError(`internal: invalid run key ${k}`);
  if (plan.checkKey !== void 0)
    add("check", [
      ...["run", "-", "--run-key", plan.checkKey],
      ...plan.runKey !== void 0 ? ["--then-run", plan.runKey] : []
    ]);
  else if (plan.runKey !== void 0)
    add("run", ["run", "-", "--detach", "--follow", "--run-key", plan.runKey]);
  return out;
}
async function serverCheck(session, config, plan) {
  const { server, target } = config;
  const nonce = randomBytes(12).toString("hex");
  const commands = channelCommands(server, plan);
  const channel = new OpenChannel(session, checkChannelScript(server, nonce, commands), {
    factsNonce: nonce
  });
  const facts = await channel.waitFacts(CHECK_TIMEOUT_MS);
  if (facts.closed && facts.closed.code === null && !facts.text)
    throw new SshError(
      "connection",
      `Server check on ${target.host} got no answer: ${facts.closed.timedOut ? "timed out after 60 s" : session.closeReason}`
    );
  try {
    const info2 = checkPreflight(facts.text ?? "", server, target);
    return { info: info2, channel, offers: Object.keys(commands).length > 0 };
  } catch (err) {
    channel.close();
    throw err;
  }
}
function serverLine(info2, server) {
  return info2.narrow ? `Server: sudo allows only the installed executor${info2.installedVersion ? ` (seisei-deploy ${info2.installedVersion.version})` : ""}` : `Server: Node.js ${info2.nodeVersion}, Docker ${info2.dockerVersion}${server.sudo ? ", passwordless sudo" : ""}`;
}
var WaitingChannel = class {
  held;
  /** Keeps the channel for what its plan offers (afterCheck: a dry run ran on it, its run may follow). */
  hold(channel, plan, afterCheck) {
    this.held = { channel, plan, ...afterCheck ? { afterCheck } : {} };
  }
  /**
   * Takes the channel for `what` (run with runKey, or check with checkKey) when the chosen executor
   * is the installed one of this build; otherwise ends that channel and returns undefined.
   */
  take(what, key, executor) {
    const p = this.held;
    this.held = void 0;
    if (!p) return void 0;
    const runnable = p.afterCheck || p.plan.checkKey === void 0;
    const planned = what === "run" ? runnable ? p.plan.runKey : void 0 : p.afterCheck ? void 0 : p.plan.checkKey;
    if (p.channel.closed || planned !== key || !executor.installedThisBuild) {
      p.channel.decline();
      return void 0;
    }
    return {
      channel: p.channel,
      plan: p.plan,
      word: `${executor.direct ? "direct" : "node"}-${what}`,
      ...p.afterCheck ? { afterCheck: true } : {},
      ...what === "check" && p.plan.runKey !== void 0 ? { thenRun: true } : {}
    };
  }
  /** Ends the waiting channel, if any (anything else the session runs uses its own). */
  decline() {
    this.held?.channel.decline();
    this.held = void 0;
  }
};

// src/host/cleanup.ts
async function removeTempDir(end) {
  const { dir, host, pid } = end;
  let session = await end.connected();
  if (!session) {
    warning(`Could not remove ${dir} on ${host} (no connection); it holds no secrets`);
    return false;
  }
  const exec = (s, cmd, timeoutMs) => s.exec(cmd, { timeoutMs }).catch((e) => ({ code: -1, stderr: e.message }));
  if (end.runMayNeedIt) {
    if (!pid) {
      info(`Left ${dir} on ${host}: the run may still be reading it (it holds no secrets)`);
      return false;
    }
    const res2 = await exec(session, removeAfterScript(dir, pid), 15e3);
    info(
      safeText(
        res2.code === 0 ? `${dir} on ${host} will be removed when the run (pid ${pid}) ends` : `Left ${dir} on ${host} (it holds no secrets): ${res2.stderr}`
      )
    );
    return false;
  }
  let res = await exec(session, removeNowScript(dir), 3e4);
  if (res.code !== 0 && (session = await end.connected()))
    res = await exec(session, removeNowScript(dir), 3e4);
  if (res.code === 0) return true;
  warning(`Could not remove ${dir} on ${host}: ${res.stderr || "unknown error"}`);
  return false;
}

// src/host/journal.ts
var MAX_JOURNAL_LINE_BYTES = 4 * 1024 * 1024;
var cutMarker = (n) => `\u2026 [truncated ${n} bytes]`;
var JournalReader = class {
  /** @param offset bytes of the journal already consumed (the next `--offset`). */
  constructor(offset = 0, maxLineBytes = MAX_JOURNAL_LINE_BYTES) {
    this.offset = offset;
    this.maxLineBytes = maxLineBytes;
  }
  offset;
  maxLineBytes;
  parts = [];
  kept = 0;
  pending = 0;
  /** Feeds one chunk; returns the complete lines it finished. Partial lines wait for the next chunk. */
  push(chunk) {
    const lines = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.add(chunk.subarray(start, nl));
      const cut = this.pending - this.kept;
      const text = Buffer.concat(this.parts, this.kept).toString("utf8").replace(/\r$/, "");
      this.offset += this.pending + 1;
      this.parts = [];
      this.kept = this.pending = 0;
      start = nl + 1;
      lines.push(
        cut ? { text: text + cutMarker(cut), end: this.offset } : { text, event: parseEventLine(text), end: this.offset }
      );
    }
    this.add(chunk.subarray(start));
    return lines;
  }
  /** Bytes received after the last complete line. */
  get pendingBytes() {
    return this.pending;
  }
  /** Drops an unfinished line (the stream ended mid-line): the next follow re-reads it from `offset`. */
  discardPartial() {
    const n = this.pending;
    this.parts = [];
    this.kept = this.pending = 0;
    return n;
  }
  add(piece) {
    this.pending += piece.length;
    const room = this.maxLineBytes - this.kept;
    if (room <= 0 || !piece.length) return;
    const part = piece.length > room ? piece.subarray(0, room) : piece;
    this.parts.push(Buffer.from(part));
    this.kept += part.length;
  }
};
function backoffSchedule(totalMs, baseMs = 1e3, capMs = 3e4) {
  const out = [];
  let sum = 0;
  for (let d = Math.max(1, baseMs); sum + Math.min(d, capMs) <= totalMs; d *= 2) {
    const delay = Math.min(d, capMs);
    out.push(delay);
    sum += delay;
    if (out.length > 1e3) break;
  }
  return out;
}
function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// src/host/follow.ts
async function followJournal(link, limits, onLine) {
  const { signal, timeoutMinutes, reconnectTimeoutS } = limits;
  const reader = new JournalReader(0);
  const deadline = Date.now() + timeoutMinutes * 6e4;
  const schedule = backoffSchedule(reconnectTimeoutS * 1e3, limits.backoffBaseMs);
  let attempt = 0;
  let lastProblem = "";
  for (; ; ) {
    if (signal.aborted) throw link.cancelled();
    if (Date.now() >= deadline)
      throw link.unknown(
        `Stopped following after timeout_minutes (${timeoutMinutes}); the run goes on on the server and its outcome is unknown here.`
      );
    const before = reader.offset;
    let result;
    let res;
    try {
      res = await link.follow(reader.offset, {
        signal,
        timeoutMs: deadline - Date.now(),
        onStdout: (chunk) => {
          if (result) return;
          for (const l of reader.push(chunk)) {
            if (result) break;
            onLine(l);
            if (l.event?.type === "result") result = l.event;
          }
        }
      });
    } catch (err) {
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    reader.discardPartial();
    if (result) return result;
    if (signal.aborted) throw link.cancelled();
    if (res?.timedOut) continue;
    if (res)
      lastProblem = res.code === null ? link.closeReason() : `follow exited ${res.code}: ${res.stderr.trim().slice(-500) || "no output"}`;
    if (reader.offset > before) attempt = 0;
    const delay = schedule[attempt++];
    if (delay === void 0)
      throw link.unknown(
        `Lost contact with the run on ${link.label} and could not resume within reconnect_timeout (${reconnectTimeoutS} s); last problem: ${lastProblem}. The outcome is unknown: the run continues on the server.`
      );
    warning(
      `Following the run on ${link.host} was interrupted (${lastProblem}); retrying in ${(delay / 1e3).toFixed(1)} s from byte ${reader.offset}`
    );
    if (!await sleep(delay, signal)) throw link.cancelled();
  }
}

// src/host/start.ts
var OutcomeUnknownError = class extends RemoteError {
  name = "OutcomeUnknownError";
  outputStatus = "unknown";
};
var START_TIMEOUT_MS = 12e4;
async function launchRun(l, runKey, stdin) {
  const { taken } = l;
  if (l.apart) {
    const res = await l.live().exec(l.cli(["run", "-", "--detach", "--run-key", runKey]), {
      timeoutMs: START_TIMEOUT_MS,
      stdin
    });
    return res.code !== 0 ? { failed: res } : { line: res.stdout };
  }
  let channel;
  if (taken?.afterCheck) {
    channel = taken.channel;
    channel.thenRun(stdin);
  } else if (taken) {
    channel = taken.channel;
    channel.go(taken.word, stdin, { startLine: true });
  } else {
    const command = l.cli(["run", "-", "--detach", "--follow", "--run-key", runKey]);
    channel = new OpenChannel(l.live(), command, { stdin, startLine: true });
  }
  const head = await channel.waitStart(START_TIMEOUT_MS);
  return head.text === void 0 ? { failed: head.closed } : { line: head.text, channel };
}
function howToCheck(w) {
  const { cli } = layout(w.root);
  const t = w.target;
  return `Run key: ${w.runKey ?? "(unknown)"}. Journal: ${w.journal ?? "(unknown)"}. Check on the server: ssh -p ${t.port} ${t.username}@${t.host} sudo ${cli} status ${w.stack ?? "<stack>"}` + (w.journal ? `, and read the journal: sudo cat ${w.journal}` : "");
}
var noRunInformation = (stdout) => new RemoteError(
  `The executor started but printed no run information (stdout: ${JSON.stringify(stdout.slice(-500))})`
);
function parseStartInfo(stdout, runKey) {
  const line = stdout.trim().split("\n").pop() ?? "";
  let info2;
  try {
    info2 = JSON.parse(line);
  } catch {
    throw noRunInformation(stdout);
  }
  if (info2.run_key !== runKey || typeof info2.journal !== "string")
    throw new RemoteError(`The executor answered with an unexpected run (${line.slice(0, 300)})`);
  return info2;
}
var mayHaveStarted = (res) => res.code === null || res.code === 0;
function startError(res, where2) {
  if (res.code === 2)
    return new RemoteError(`The executor refused the request: ${res.stderr.trim() || res.stdout.trim()}`);
  if (res.code === null)
    return new OutcomeUnknownError(
      `Lost the connection while starting the run on ${where2.label} (${res.timedOut ? "timed out" : where2.closeReason ?? "connection lost"}); it may have started. ` + where2.check()
    );
  if (res.code !== 0)
    return new RemoteError(
      `Starting the executor on ${where2.host} failed (exit ${res.code}): ${(res.stderr || res.stdout).trim().slice(-2e3)}`
    );
  return noRunInformation("");
}

// src/host/sync.ts
function syncResult(args, res, w) {
  if (res.aborted) throw new RemoteError(`The job was cancelled while ${args[0]} was running on ${w.host}`);
  if (res.timedOut)
    throw new RemoteError(
      `${args[0]} on ${w.host} did not finish within timeout_minutes (${w.timeoutMinutes})`
    );
  if (res.code === null)
    throw new RemoteError(
      `Lost the connection to ${w.label} while ${args[0]} was running: ${w.closeReason()}`
    );
  return res;
}
async function dryRunOnChannel(taken, stdin, limits, hold) {
  const { channel } = taken;
  if (!taken.thenRun) {
    channel.go(taken.word, stdin);
    return channel.output(limits);
  }
  channel.go(taken.word, stdin, { keepOpen: true, untilResult: true });
  const onAbort = () => channel.close();
  limits.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const head = await channel.waitCheck(limits.timeoutMs);
    if (head.closed) return { ...head.closed, stdout: head.text ?? "" };
    hold();
    return { code: 0, signal: null, stdout: head.text ?? "", stderr: "" };
  } finally {
    limits.signal.removeEventListener("abort", onAbort);
  }
}

// src/host/session.ts
var HostSession = class {
  constructor(config, opts) {
    this.config = config;
    this.opts = opts;
  }
  config;
  opts;
  session;
  tmpDir;
  /** The executor to run: the installed one when it is this build, else the uploaded copy. */
  executor;
  /** Run the executor by its shebang (narrow sudo allows only that file), not `<node> <file>`. */
  direct = false;
  /** The executor is this build (it knows `run --detach --follow`); not so for an older installed one. */
  sameBuild = false;
  stack;
  runKey;
  journal;
  /** pid of the detached executor, from `run --detach`. */
  pid;
  started = false;
  resultSeen = false;
  /** The server check's channel, waiting for the word that says what runs next on it. */
  pending = new WaitingChannel();
  /** The channel of a started run, streaming its journal until follow() takes it. */
  attached;
  get target() {
    return this.config.target;
  }
  get label() {
    return `${this.target.username}@${this.target.host}:${this.target.port}`;
  }
  get connectFn() {
    return this.opts.connect ?? connect;
  }
  /**
   * Connects (host key pinned) and checks Node.js, Docker and sudo on the server, in one exec. With
   * a plan, that channel stays open for the start of the run (start()) or the dry run (check()).
   */
  async open(plan = {}) {
    const log = this.opts.log ?? info;
    this.session = await this.connectFn(this.target);
    log(`Connected to ${this.label}; host key verified`);
    this.throwIfCancelled();
    const { info: info2, channel, offers } = await serverCheck(this.session, this.config, plan);
    if (offers && !channel.closed) this.pending.hold(channel, plan);
    log(safeText(serverLine(info2, this.config.server)));
    return info2;
  }
  /** Takes the check's channel for a run or a dry run when the chosen executor can run on it (check-channel.ts). */
  takeChannel(what, key) {
    const installed = this.executor !== void 0 && this.executor === layout(this.config.server.root).cli;
    return this.pending.take(what, key, {
      installedThisBuild: this.sameBuild && installed,
      direct: this.direct
    });
  }
  /** Ends the check's waiting channel, if any (anything else the session runs uses its own). */
  declinePending() {
    this.pending.decline();
  }
  live() {
    if (!this.session || this.session.closed)
      throw new SshError("connection", `SSH connection to ${this.label} is closed`);
    return this.session;
  }
  /** The executor command line: only temp paths and validated words, each shell-quoted. */
  cli(args) {
    const server = this.config.server;
    if (!this.executor && !this.tmpDir) throw new RemoteError("internal: no executor uploaded yet");
    if (this.direct && this.executor) return asRoot(server) + shellJoin([this.executor, ...args]);
    return asRoot(server) + shellJoin([server.node, this.executor ?? `${this.tmpDir}/remote.cjs`, ...args]);
  }
  /**
   * Sends the files into a new private temp dir (0700, owned by the SSH user), one exec per file
   * with the bytes on stdin (no SFTP); the server checks each file's sha256. Returns the dir.
   */
  async upload(files) {
    if (!files.length) throw new RemoteError("internal: nothing to upload");
    this.declinePending();
    for (const f of files) this.tmpDir = await sendFile(this.live(), f, this.tmpDir);
    return this.tmpDir;
  }
  /** Starts `remote.cjs run - --detach`: validated synchronously, then detached from SSH (start.ts). */
  async start(inputs) {
    const { run_key: runKey = "", stack } = inputs.request;
    if (!RUN_KEY_RE.test(runKey)) throw new RemoteError(`internal: invalid run key ${runKey}`);
    this.throwIfCancelled();
    this.resultSeen = false;
    const taken = this.takeChannel("run", runKey);
    const launched = await launchRun(
      {
        taken,
        apart: !taken && !this.sameBuild,
        live: () => this.live(),
        cli: (args) => this.cli(args)
      },
      runKey,
      JSON.stringify(inputs)
    );
    if ("failed" in launched) return this.startFailed(launched.failed, stack, runKey);
    this.runKey = runKey;
    this.stack = stack;
    this.started = true;
    let info2;
    try {
      info2 = parseStartInfo(launched.line, runKey);
    } catch (err) {
      launched.channel?.close();
      throw err;
    }
    if (launched.channel) this.attached = launched.channel;
    return this.startedAt(info2, runKey);
  }
  /** The start ended without a start line (or `run --detach` failed): refused, lost, or failed (start.ts). */
  startFailed(res, stack, runKey) {
    if (res.code !== 2) {
      this.runKey = runKey;
      this.stack = stack;
    }
    if (mayHaveStarted(res)) this.started = true;
    if (res.code === null) this.journal = layout(this.config.server.root).journal(stack, runKey);
    const { host } = this.target;
    const closeReason = this.session?.closeReason;
    throw startError(res, { host, label: this.label, closeReason, check: () => this.howToCheck() });
  }
  /** Notes and logs where the started run is. */
  startedAt(info2, runKey) {
    this.journal = info2.journal;
    if (Number.isSafeInteger(info2.pid) && (info2.pid ?? 0) > 0) this.pid = info2.pid;
    info(
      safeText(
        `Run ${runKey} started on ${this.target.host}${info2.pid ? ` (pid ${info2.pid})` : ""}; journal ${info2.journal}`
      )
    );
    return info2;
  }
  /** How an operator finds out what happened, for messages when we stop following. */
  howToCheck() {
    const { runKey, journal, stack } = this;
    return howToCheck({ root: this.config.server.root, target: this.target, runKey, journal, stack });
  }
  async reconnect() {
    this.session?.close();
    this.session = void 0;
    this.session = await this.connectFn(this.target);
    info(`Reconnected to ${this.label}`);
  }
  /** Follows the run's journal to its result (host/follow.ts), reconnecting as needed. */
  async follow(onLine) {
    const { stack, runKey } = this;
    if (!runKey || !stack) throw new RemoteError("internal: follow before start");
    const { root } = this.config.server;
    const link = {
      follow: async (offset, opts) => {
        const attached = this.attached;
        this.attached = void 0;
        if (attached && offset === 0) return attached.stream(opts);
        attached?.close();
        if (!this.session || this.session.closed) await this.reconnect();
        const args = ["follow", stack, runKey, "--offset", String(offset), "--root", root];
        return this.live().exec(this.cli(args), opts);
      },
      closeReason: () => this.session?.closeReason ?? "connection lost",
      label: this.label,
      host: this.target.host,
      unknown: (why) => new OutcomeUnknownError(`${why} ${this.howToCheck()}`),
      cancelled: () => this.cancelled()
    };
    const { signal, backoffBaseMs = 1e3 } = this.opts;
    const { timeoutMinutes, reconnectTimeoutS } = this.config;
    const result = await followJournal(
      link,
      { signal, timeoutMinutes, reconnectTimeoutS, backoffBaseMs },
      onLine
    );
    this.resultSeen = true;
    return result;
  }
  /** Before anything runs on the server, a cancelled job simply stops. */
  throwIfCancelled() {
    if (this.opts.signal.aborted)
      throw new RemoteError(
        `The job was cancelled before the ${this.opts.mode} started on ${this.target.host}; nothing was started there.`
      );
  }
  cancelled() {
    return new OutcomeUnknownError(
      `The job was cancelled: stopped following. The ${this.opts.mode} continues on the server and is not stopped by this. ${this.howToCheck()}`
    );
  }
  /** Runs a synchronous executor mode (verify, status) and returns its output. */
  async runSync(args, stdin) {
    this.throwIfCancelled();
    this.declinePending();
    const { timeoutMinutes } = this.config;
    const res = await this.live().exec(this.cli(args), {
      timeoutMs: timeoutMinutes * 6e4,
      signal: this.opts.signal,
      ...stdin !== void 0 ? { stdin } : {}
    });
    return this.syncResult(args, res);
  }
  /**
   * A fleet host's dry run, `run - --run-key <checkKey>` with `stdin`: on the check's channel when
   * open() planned it and the installed executor is this build (sync.ts), else as runSync.
   */
  async check(checkKey, stdin) {
    const args = ["run", "-", "--run-key", checkKey];
    this.throwIfCancelled();
    const taken = this.takeChannel("check", checkKey);
    if (!taken) return this.runSync(args, stdin);
    const limits = { timeoutMs: this.config.timeoutMinutes * 6e4, signal: this.opts.signal };
    const hold = () => this.pending.hold(taken.channel, taken.plan, true);
    return this.syncResult(args, await dryRunOnChannel(taken, stdin, limits, hold));
  }
  /** A synchronous mode's result, or the error of a cancelled, timed out or lost one. */
  syncResult(args, res) {
    const { host } = this.target;
    const { timeoutMinutes } = this.config;
    return syncResult(args, res, {
      host,
      label: this.label,
      timeoutMinutes,
      closeReason: () => this.session?.closeReason
    });
  }
  /** Removes the temp dir, or leaves it to the server while a started run may need it (cleanup.ts). */
  async cleanup() {
    this.declinePending();
    this.attached?.close();
    this.attached = void 0;
    const dir = this.tmpDir;
    if (!dir || !TEMP_DIR_RE.test(dir)) return;
    const removed = await removeTempDir({
      dir,
      host: this.target.host,
      runMayNeedIt: this.started && !this.resultSeen,
      pid: this.pid,
      connected: () => this.connectedForCleanup()
    });
    if (removed) this.tmpDir = void 0;
  }
  /** A live session for cleaning up, reconnecting once if it dropped (not when cancelled). */
  async connectedForCleanup() {
    if (this.session && !this.session.closed) return this.session;
    if (this.opts.signal.aborted) return void 0;
    try {
      return this.session = await this.connectFn(this.target);
    } catch {
      return void 0;
    }
  }
  close() {
    this.declinePending();
    this.attached?.close();
    this.attached = void 0;
    this.session?.close();
    this.session = void 0;
  }
};

// src/modes/request.ts
import { randomBytes as randomBytes2 } from "node:crypto";
var RequestError = class extends Error {
  name = "RequestError";
};
function makeRunKey(runId, attempt, random = randomBytes2(3).toString("hex")) {
  const id = /^\d{1,20}$/.test(runId) ? runId : `local-${Date.now()}`;
  const key = `${id}-${/^\d{1,6}$/.test(attempt) ? attempt : "1"}-${random}`;
  if (!RUN_KEY_RE.test(key)) throw new RequestError(`internal: run key ${key} is invalid`);
  return key;
}
function registryOf(ref) {
  const first = ref.split("/")[0];
  return ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}
var DOCKER_HUB = /* @__PURE__ */ new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);
var sameRegistry = (a, b) => {
  const norm = (h) => DOCKER_HUB.has(h.toLowerCase()) ? "docker.io" : h.toLowerCase();
  return norm(a) === norm(b);
};
function checkImageHosts(manifest, images, registry) {
  const foreign = Object.entries(resolveImageVars(manifest, images)).filter(
    ([, img]) => !sameRegistry(registryOf(img.ref), registry)
  );
  if (foreign.length)
    throw new RequestError(
      `registry: the credentials are for ${registry}, but ${foreign.map(([v, img]) => `${v}=${img.ref}`).join(", ")} ${foreign.length === 1 ? "is" : "are"} hosted elsewhere; refusing to deploy. Set registry to the host of the deployed images, or deploy without registry credentials`
    );
}
var everyRequest = (s, runKey) => ({
  root: s.server.root,
  source: s.server.source,
  actor: s.actor,
  run_id: s.runId,
  run_key: runKey,
  lock_timeout_s: s.lockTimeoutS,
  ...s.keepReleases !== void 0 ? { keep_releases: s.keepReleases } : {}
});
function buildDeployRequest(s, manifest, paths, runKey, provenance) {
  if (s.registry) checkImageHosts(manifest, s.images, s.registry.registry);
  const registry = s.registry && paths.passwordFile ? {
    registry: s.registry.registry,
    username: s.registry.username,
    password_file: paths.passwordFile
  } : void 0;
  const r = deployRequest.safeParse({
    command: "deploy",
    stack: s.stack,
    env: s.environment,
    image_tag: s.imageTag,
    digest_file: paths.digestFile,
    ...s.images ? { images: s.images } : {},
    break_glass: s.breakGlass,
    reason: s.breakGlass ? s.breakGlassReason : "",
    ...registry ? { registry_login: registry } : {},
    ...provenance ? { provenance } : {},
    ...everyRequest(s, runKey)
  });
  if (!r.success) throw new RequestError(`the deploy request is invalid: ${formatIssues(r.error)}`);
  return r.data;
}
function buildRollbackRequest(s, runKey) {
  const r = rollbackRequest.safeParse({
    command: "rollback",
    stack: s.stack,
    env: s.environment,
    steps: s.stepsBack,
    ...everyRequest(s, runKey)
  });
  if (!r.success) throw new RequestError(`the rollback request is invalid: ${formatIssues(r.error)}`);
  return r.data;
}

// src/modes/on-host.ts
var Upload = class {
  constructor(host, files) {
    this.host = host;
    this.files = files;
  }
  host;
  files;
  get pending() {
    return this.files.length > 0;
  }
  /** Sends the files into a private temp dir (only when there is something to send). */
  async send(log = info) {
    if (!this.pending) return void 0;
    const dir = await this.host.upload(this.files);
    log(`Uploaded ${this.files.map((f) => f.name).join(", ")} to ${dir}`);
    return dir;
  }
  /** send() in a log group of its own, when there is something to send. */
  async sendInGroup() {
    if (this.pending) await group("Upload", () => this.send());
  }
};
function useExecutor(host, found, remoteScript, out = core_exports) {
  const script = readFileSync(localRemoteScript(remoteScript));
  const { root, executorMismatch } = host.config.server;
  const choice = chooseExecutor(
    found,
    { sha256: sha256Hex(script), version: ACTION_VERSION },
    { root, mismatch: executorMismatch }
  );
  if (choice.warn) out.warning(safeText(choice.note));
  else out.info(safeText(choice.note));
  host.executor = choice.executor;
  host.direct = choice.direct;
  host.sameBuild = choice.sameBuild;
  return new Upload(host, choice.executor ? [] : [{ name: "remote.cjs", data: script }]);
}
function summaryContext(s, host) {
  return {
    mode: s.mode,
    stack: s.stack,
    environment: s.environment,
    imageTag: s.imageTag,
    actor: s.actor,
    runId: s.runId,
    breakGlass: s.breakGlass,
    breakGlassReason: s.breakGlassReason,
    host: host.target.host,
    runKey: host.runKey,
    journal: host.journal
  };
}
async function runOnHost(runner, s, config, manifest, opts) {
  const { remoteScript, ...sessionOpts } = opts;
  const host = new HostSession(config, { ...sessionOpts, mode: s.mode });
  const renderer = new EventRenderer();
  try {
    const runKey = makeRunKey(s.runId, s.runAttempt);
    const plan = s.mode === "deploy" || s.mode === "rollback" ? { runKey } : {};
    const found = await group(`Connect to ${host.label}`, () => host.open(plan));
    const upload = useExecutor(host, found, remoteScript);
    return await runner({ s, host, renderer, manifest, upload, runKey });
  } finally {
    renderer.close();
    await host.cleanup().catch((e) => warning(`cleanup: ${e.message}`));
    host.close();
  }
}

// src/modes/deploy.ts
var PLACEHOLDER_DIR = "/tmp/seisei-deploy.XXXXXXXXXX";
var STAGED_ON_SERVER = { digestFile: "/dev/stdin", passwordFile: "/dev/stdin" };
function precheckDeploy(s, m) {
  const vars = resolveImageVars(m.manifest, s.images);
  for (const [v, img] of Object.entries(vars)) info(`${v}=${img.ref}`);
  buildDeployRequest(
    s,
    m.manifest,
    {
      digestFile: `${PLACEHOLDER_DIR}/image-digests.json`,
      passwordFile: s.registry ? `${PLACEHOLDER_DIR}/registry-password` : void 0
    },
    makeRunKey(s.runId, s.runAttempt),
    m.provenance
  );
}
function runInputs(s, manifest, runKey) {
  if (s.mode !== "deploy") return { request: buildRollbackRequest(s, runKey) };
  return {
    request: buildDeployRequest(s, manifest.manifest, STAGED_ON_SERVER, runKey, manifest.provenance),
    digest_manifest: manifest.text,
    ...s.registry ? { registry_password: s.registry.password } : {}
  };
}
async function runDeploy({
  s,
  host,
  renderer,
  manifest,
  upload,
  runKey
}) {
  await group(`Upload and start the ${s.mode}`, async () => {
    await upload.send();
    await host.start(runInputs(s, manifest, runKey));
  });
  let result;
  try {
    result = await host.follow((l) => renderer.handle(l.event, l.text));
  } catch (err) {
    renderer.close();
    throw err;
  }
  await reportResult(result, summaryContext(s, host), renderer);
  return result;
}

export {
  EventRenderer,
  escapeHtml,
  reportResult,
  writeOrSkip,
  parseEventLine,
  RemoteError,
  sleep,
  HostSession,
  makeRunKey,
  buildDeployRequest,
  buildRollbackRequest,
  useExecutor,
  summaryContext,
  runOnHost,
  STAGED_ON_SERVER,
  precheckDeploy,
  runInputs,
  runDeploy
};
