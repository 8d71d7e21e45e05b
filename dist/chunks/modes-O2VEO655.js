import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  EventRenderer,
  checkHostKey,
  describePins,
  hostKeyAlgorithms,
  reportResult,
  setOutputs,
  setStatus,
  writeStatusSummary
} from "./chunk-MVJGOZJA.js";
import {
  resolveImageVars
} from "./chunk-BH6SQQTE.js";
import {
  RUN_KEY_RE,
  array,
  boolean,
  envName,
  freeText,
  imageMapping,
  imageTag,
  literal,
  number,
  object,
  runKey,
  stackName,
  string
} from "./chunk-VSGEQHEJ.js";
import {
  endGroup,
  group,
  info,
  startGroup,
  warning
} from "./chunk-RVQ3CD3O.js";
import "./chunk-GAY4MQBD.js";
import "./chunk-PAUBQTSJ.js";

// src/common/events.ts
function parseEventLine(line) {
  if (!line.trim()) return void 0;
  try {
    const e = JSON.parse(line);
    return e && e.v === 1 && typeof e.type === "string" ? e : void 0;
  } catch {
    return void 0;
  }
}

// src/remote-run.ts
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// src/journal.ts
var JournalReader = class {
  /** @param offset bytes of the journal already consumed (the next `--offset`). */
  constructor(offset = 0) {
    this.offset = offset;
  }
  offset;
  partial = Buffer.alloc(0);
  /** Feeds one chunk; returns the complete lines it finished. Partial lines wait for the next chunk. */
  push(chunk) {
    const buf = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    const lines = [];
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      const text = buf.subarray(start, nl).toString("utf8").replace(/\r$/, "");
      this.offset += nl + 1 - start;
      start = nl + 1;
      lines.push({ text, event: parseEventLine(text), end: this.offset });
    }
    this.partial = Buffer.from(buf.subarray(start));
    return lines;
  }
  /** Bytes received after the last complete line. */
  get pendingBytes() {
    return this.partial.length;
  }
  /** Drops an unfinished line (the stream ended mid-line): the next follow re-reads it from `offset`. */
  discardPartial() {
    const n = this.partial.length;
    this.partial = Buffer.alloc(0);
    return n;
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

// src/ssh.ts
var SshError = class extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
  kind;
  name = "SshError";
};
function shellQuote(s) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
var shellJoin = (words) => words.map(shellQuote).join(" ");
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
          ch.end(opts.stdin);
        });
      } catch (e) {
        ok = false;
        this.lastError = e;
      }
      if (ok === false && !channel && this.closed) finish();
    });
  }
  /** Runs `fn` with one SFTP session, ended afterwards. */
  async withSftp(fn) {
    const sftp = await this.ssh.requestSFTP();
    try {
      return await fn(sftp);
    } finally {
      sftp.end();
    }
  }
  close() {
    this.closedFlag = true;
    try {
      this.ssh.dispose();
    } catch {
    }
  }
};
async function connect(target) {
  const { NodeSSH } = await import("./esm-BLWZ6WHM.js");
  const ssh = new NodeSSH();
  let presented;
  const algorithms = hostKeyAlgorithms(target.hostKeys);
  try {
    await ssh.connect({
      host: target.host,
      port: target.port,
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
    throw describeConnectError(err, target, presented);
  }
  if (!presented?.ok) {
    ssh.dispose();
    throw new SshError("host_key", `Host key of ${where(target)} was not verified; refusing to continue`);
  }
  return new SshSession(target, ssh);
}
var asRoot = (r) => r.sudo ? "sudo -n " : "";
var installedExecutor = (root) => `${root}/releases/bin/seisei-deploy`;
function preflightScript(r) {
  return [
    `N=${shellQuote(r.node)}`,
    r.sudo ? `if ! command -v sudo >/dev/null 2>&1; then echo sudo=missing; exit 0; fi; if sudo -n true 2>/dev/null; then echo sudo=ok; else echo sudo=fail; exit 0; fi; S='sudo -n'` : `S=''`,
    `if v=$($S "$N" -e 'process.stdout.write(process.versions.node)' 2>&1); then echo "node=ok $v"; else echo "node=fail $(printf %s "$v" | tr '\\n' ' ' | cut -c1-300)"; fi`,
    `if d=$($S docker version --format '{{.Server.Version}}' 2>&1); then echo "docker=ok $d"; else echo "docker=fail $(printf %s "$d" | tr '\\n' ' ' | cut -c1-300)"; fi`,
    ...r.root ? [`echo "cli=$($S sha256sum ${shellQuote(installedExecutor(r.root))} 2>/dev/null | cut -c1-64)"`] : []
  ].join("\n");
}
function checkPreflight(stdout, r, t) {
  const facts = /* @__PURE__ */ new Map();
  for (const line of stdout.split("\n")) {
    const m = /^(sudo|node|docker|cli)=(.*)$/.exec(line.trim());
    if (m) facts.set(m[1], m[2]);
  }
  const problems = [];
  const via = r.sudo ? " (run via sudo -n)" : "";
  const sudo = facts.get("sudo");
  if (r.sudo && sudo !== "ok") {
    problems.push(
      sudo === "missing" ? `sudo is not installed on ${t.host}; install it, or set sudo: false if ${t.username} may run Docker and write srv_root itself` : `passwordless sudo is not available for ${t.username} on ${t.host} ('sudo -n true' failed): allow it in sudoers for true, node and docker (see docs/server-setup.md, "sudo for the deploy user"), or set sudo: false if ${t.username} may run Docker and write srv_root itself`
    );
    throw new SshError("preflight", `Server check failed on ${t.host}:
  - ${problems.join("\n  - ")}`);
  }
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
  if (problems.length)
    throw new SshError("preflight", `Server check failed on ${t.host}:
  - ${problems.join("\n  - ")}`);
  const cli = facts.get("cli");
  return {
    nodeVersion,
    dockerVersion,
    ...cli && /^[0-9a-f]{64}$/.test(cli) ? { installedSha256: cli } : {}
  };
}
async function preflight(session, r) {
  const res = await session.exec(preflightScript(r), { timeoutMs: 6e4 });
  if (res.code === null && !res.stdout)
    throw new SshError(
      "connection",
      `Server check on ${session.target.host} got no answer: ${res.timedOut ? "timed out after 60 s" : session.closeReason}`
    );
  return checkPreflight(res.stdout, r, session.target);
}

// src/remote-run.ts
var RemoteError = class extends Error {
  name = "RemoteError";
};
var OutcomeUnknownError = class extends RemoteError {
  name = "OutcomeUnknownError";
};
function localRemoteScript(env = process.env) {
  if (env.SEISEI_DEPLOY_REMOTE_JS) return env.SEISEI_DEPLOY_REMOTE_JS;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, "remote.cjs"),
    join(here, "..", "remote.cjs"),
    join(here, "..", "dist", "remote.cjs")
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new RemoteError(
      `the executor bundle remote.cjs is missing (looked at ${candidates.join(", ")}); the action is not built correctly`
    );
  return found;
}
var TMP_RE = /^\/[A-Za-z0-9._/-]*\/seisei-deploy\.[A-Za-z0-9]{6,}$/;
var HostSession = class {
  constructor(settings, target, opts) {
    this.settings = settings;
    this.target = target;
    this.opts = opts;
  }
  settings;
  target;
  opts;
  session;
  tmpDir;
  /** The executor to run: the installed one when it is this build, else the uploaded copy. */
  executor;
  runKey;
  journal;
  /** pid of the detached executor, from `run --detach`. */
  pid;
  started = false;
  resultSeen = false;
  get label() {
    return `${this.target.username}@${this.target.host}:${this.target.port}`;
  }
  get connectFn() {
    return this.opts.connect ?? connect;
  }
  /** Connects (host key pinned) and checks Node.js, Docker and sudo on the server. */
  async open() {
    this.session = await this.connectFn(this.target);
    info(`Connected to ${this.label}; host key verified`);
    this.throwIfCancelled();
    const info2 = await preflight(this.session, this.settings.remote);
    info(
      `Server: Node.js ${info2.nodeVersion}, Docker ${info2.dockerVersion}${this.settings.remote.sudo ? ", passwordless sudo" : ""}`
    );
    return info2;
  }
  live() {
    if (!this.session || this.session.closed)
      throw new SshError("connection", `SSH connection to ${this.label} is closed`);
    return this.session;
  }
  /** The executor command line: only temp paths and validated words, each shell-quoted. */
  cli(args) {
    if (!this.executor && !this.tmpDir) throw new RemoteError("internal: no executor uploaded yet");
    return asRoot(this.settings.remote) + shellJoin([this.settings.remote.node, this.executor ?? `${this.tmpDir}/remote.cjs`, ...args]);
  }
  /** Creates the private temp dir on the server (mktemp -d: mode 0700, owned by the SSH user). */
  async makeTempDir() {
    const mk = await this.live().exec(`umask 077 && mktemp -d "\${TMPDIR:-/tmp}/seisei-deploy.XXXXXXXXXX"`, {
      timeoutMs: 3e4
    });
    const dir = mk.stdout.trim();
    if (mk.code !== 0 || !TMP_RE.test(dir))
      throw new RemoteError(
        `cannot create a temporary directory on ${this.target.host}: ${mk.stderr.trim() || dir || `exit ${mk.code}`}`
      );
    this.tmpDir = dir;
    return dir;
  }
  /** Uploads all files into the temp dir over one SFTP session. */
  async upload(files) {
    const dir = this.tmpDir;
    if (!dir) throw new RemoteError("internal: upload before makeTempDir");
    if (!files.length) return;
    await this.live().withSftp(async (sftp) => {
      for (const f of files) {
        const path = `${dir}/${f.name}`;
        await new Promise((resolve, reject) => {
          const done = (err) => err ? reject(
            new RemoteError(`cannot upload ${f.name} to ${this.target.host}:${path}: ${err.message}`)
          ) : resolve();
          if (f.local !== void 0) sftp.fastPut(f.local, path, { mode: f.mode }, done);
          else sftp.writeFile(path, f.data ?? "", { mode: f.mode }, done);
        });
        await new Promise(
          (resolve, reject) => sftp.chmod(path, f.mode, (err) => err ? reject(err) : resolve())
        );
      }
    });
  }
  /** Starts `remote.cjs run <request> --detach`: validated synchronously, then detached from SSH. */
  async start(inputs, runKey2) {
    if (!RUN_KEY_RE.test(runKey2)) throw new RemoteError(`internal: invalid run key ${runKey2}`);
    this.throwIfCancelled();
    const res = await this.live().exec(this.cli(["run", "-", "--detach", "--run-key", runKey2]), {
      timeoutMs: 12e4,
      stdin: JSON.stringify(inputs)
    });
    if (res.code === 2)
      throw new RemoteError(`The executor refused the request: ${res.stderr.trim() || res.stdout.trim()}`);
    this.runKey = runKey2;
    if (res.code !== 0) {
      if (res.code === null) {
        this.started = true;
        this.journal = `${this.settings.remote.root}/releases/runs/${this.settings.stack ?? ""}/${runKey2}.jsonl`;
        throw new OutcomeUnknownError(
          `Lost the connection while starting the run on ${this.label} (${res.timedOut ? "timed out" : this.session?.closeReason ?? "connection lost"}); it may have started. ` + this.howToCheck()
        );
      }
      throw new RemoteError(
        `Starting the executor on ${this.target.host} failed (exit ${res.code}): ${(res.stderr || res.stdout).trim().slice(-2e3)}`
      );
    }
    this.started = true;
    const line = res.stdout.trim().split("\n").pop() ?? "";
    let info2;
    try {
      info2 = JSON.parse(line);
    } catch {
      throw new RemoteError(
        `The executor started but printed no run information (stdout: ${JSON.stringify(res.stdout.slice(-500))})`
      );
    }
    if (info2.run_key !== runKey2 || typeof info2.journal !== "string")
      throw new RemoteError(`The executor answered with an unexpected run (${line.slice(0, 300)})`);
    this.journal = info2.journal;
    if (Number.isSafeInteger(info2.pid) && (info2.pid ?? 0) > 0) this.pid = info2.pid;
    info(
      `Run ${runKey2} started on ${this.target.host}${info2.pid ? ` (pid ${info2.pid})` : ""}; journal ${info2.journal}`
    );
    return info2;
  }
  /** How an operator finds out what happened, for messages when we stop following. */
  howToCheck() {
    const root = this.settings.remote.root;
    const stack = this.settings.stack ?? "<stack>";
    return `Run key: ${this.runKey ?? "(unknown)"}. Journal: ${this.journal ?? "(unknown)"}. Check on the server: ssh -p ${this.target.port} ${this.target.username}@${this.target.host} sudo ${root}/releases/bin/seisei-deploy status ${stack}` + (this.journal ? `, and read the journal: sudo cat ${this.journal}` : "");
  }
  async reconnect() {
    this.session?.close();
    this.session = void 0;
    this.session = await this.connectFn(this.target);
    info(`Reconnected to ${this.label}`);
  }
  /**
   * Follows the journal until the result event, resuming from the consumed byte offset after a
   * dropped connection. Each complete line goes to onLine exactly once.
   */
  async follow(onLine) {
    const stack = this.settings.stack;
    if (!this.runKey || !stack) throw new RemoteError("internal: follow before start");
    const reader = new JournalReader(0);
    const deadline = Date.now() + this.settings.timeoutMinutes * 6e4;
    const env = this.opts.env ?? process.env;
    const base = this.opts.backoffBaseMs ?? (Number(env.SEISEI_DEPLOY_TEST_BACKOFF_BASE_MS) || 1e3);
    const schedule = backoffSchedule(this.settings.reconnectTimeoutS * 1e3, base);
    let attempt = 0;
    let lastProblem = "";
    const signal = this.opts.signal;
    for (; ; ) {
      if (signal.aborted) throw this.cancelled();
      if (Date.now() >= deadline)
        throw new OutcomeUnknownError(
          `Stopped following after timeout_minutes (${this.settings.timeoutMinutes}); the run goes on on the server and its outcome is unknown here. ${this.howToCheck()}`
        );
      const before = reader.offset;
      let result;
      let res;
      try {
        if (!this.session || this.session.closed) await this.reconnect();
        const cmd = this.cli([
          "follow",
          stack,
          this.runKey,
          "--offset",
          String(reader.offset),
          "--root",
          this.settings.remote.root
        ]);
        res = await this.live().exec(cmd, {
          signal,
          timeoutMs: deadline - Date.now(),
          onStdout: (chunk) => {
            if (result) return;
            for (const l of reader.push(chunk)) {
              if (result) break;
              onLine(l);
              if (l.event?.type === "result") {
                result = l.event;
                this.resultSeen = true;
              }
            }
          }
        });
      } catch (err) {
        lastProblem = err instanceof Error ? err.message : String(err);
      }
      reader.discardPartial();
      if (result) return result;
      if (signal.aborted) throw this.cancelled();
      if (res?.timedOut) continue;
      if (res)
        lastProblem = res.code === null ? this.session?.closeReason ?? "connection lost" : `follow exited ${res.code}: ${res.stderr.trim().slice(-500) || "no output"}`;
      if (reader.offset > before) attempt = 0;
      const delay = schedule[attempt++];
      if (delay === void 0)
        throw new OutcomeUnknownError(
          `Lost contact with the run on ${this.label} and could not resume within reconnect_timeout (${this.settings.reconnectTimeoutS} s); last problem: ${lastProblem}. The outcome is unknown: the run continues on the server. ${this.howToCheck()}`
        );
      warning(
        `Following the run on ${this.target.host} was interrupted (${lastProblem}); retrying in ${(delay / 1e3).toFixed(1)} s from byte ${reader.offset}`
      );
      if (!await sleep(delay, signal)) throw this.cancelled();
    }
  }
  /** Before anything runs on the server, a cancelled job simply stops. */
  throwIfCancelled() {
    if (this.opts.signal.aborted)
      throw new RemoteError(
        `The job was cancelled before the ${this.settings.mode} started on ${this.target.host}; nothing was started there.`
      );
  }
  cancelled() {
    return new OutcomeUnknownError(
      `The job was cancelled: stopped following. The ${this.settings.mode} continues on the server and is not stopped by this. ${this.howToCheck()}`
    );
  }
  /** Runs a synchronous executor mode (verify, status) and returns its output. */
  async runSync(args) {
    this.throwIfCancelled();
    const res = await this.live().exec(this.cli(args), {
      timeoutMs: this.settings.timeoutMinutes * 6e4,
      signal: this.opts.signal
    });
    if (res.aborted)
      throw new RemoteError(`The job was cancelled while ${args[0]} was running on ${this.target.host}`);
    if (res.timedOut)
      throw new RemoteError(
        `${args[0]} on ${this.target.host} did not finish within timeout_minutes (${this.settings.timeoutMinutes})`
      );
    if (res.code === null)
      throw new RemoteError(
        `Lost the connection to ${this.label} while ${args[0]} was running: ${this.session?.closeReason}`
      );
    return res;
  }
  /**
   * Removes the temp dir. While a started run may still need it (no result seen: cancelled, lost,
   * timed out), removal is left to a small background job on the server that waits for the
   * executor's pid to end. The dir holds no secret then: the executor deletes the password file
   * as soon as it reads it.
   */
  async cleanup() {
    const dir = this.tmpDir;
    if (!dir) return;
    if (!TMP_RE.test(dir)) return;
    if (!await this.connectedForCleanup()) {
      warning(`Could not remove ${dir} on ${this.target.host} (no connection); it holds no secrets`);
      return;
    }
    const q = shellQuote(dir);
    if (this.started && !this.resultSeen) {
      if (!this.pid) {
        info(
          `Left ${dir} on ${this.target.host}: the run may still be reading it (it holds no secrets)`
        );
        return;
      }
      const wait = `while [ -d /proc/${this.pid} ]; do sleep 5; done; rm -rf -- "$0"`;
      const res2 = await this.session.exec(
        `nohup sh -c ${shellQuote(wait)} ${q} >/dev/null 2>&1 </dev/null &`,
        {
          timeoutMs: 15e3
        }
      ).catch((e) => ({ code: -1, stderr: e.message }));
      info(
        res2.code === 0 ? `${dir} on ${this.target.host} will be removed when the run (pid ${this.pid}) ends` : `Left ${dir} on ${this.target.host} (it holds no secrets): ${res2.stderr}`
      );
      return;
    }
    const sudoRm = this.settings.remote.sudo ? ` || sudo -n rm -rf -- ${q}` : "";
    const rm = () => this.session.exec(`rm -rf -- ${q} 2>/dev/null${sudoRm}`, { timeoutMs: 3e4 }).catch((e) => ({
      code: -1,
      stderr: e.message
    }));
    let res = await rm();
    if (res.code !== 0 && await this.connectedForCleanup()) res = await rm();
    if (res.code === 0) this.tmpDir = void 0;
    else warning(`Could not remove ${dir} on ${this.target.host}: ${res.stderr || "unknown error"}`);
  }
  /** Whether there is a live session for cleaning up, reconnecting once if it dropped (not when cancelled). */
  async connectedForCleanup() {
    if (this.session && !this.session.closed) return true;
    if (this.opts.signal.aborted) return false;
    try {
      this.session = await this.connectFn(this.target);
      return true;
    } catch {
      return false;
    }
  }
  close() {
    this.session?.close();
    this.session = void 0;
  }
};

// src/modes.ts
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

// src/request-build.ts
import { randomBytes } from "node:crypto";

// src/common/request.ts
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

// src/request-build.ts
var RequestError = class extends Error {
  name = "RequestError";
};
function makeRunKey(runId, attempt, random = randomBytes(3).toString("hex")) {
  const id = /^\d{1,20}$/.test(runId) ? runId : `local-${Date.now()}`;
  const key = `${id}-${/^\d{1,6}$/.test(attempt) ? attempt : "1"}-${random}`;
  if (!RUN_KEY_RE.test(key)) throw new RequestError(`internal: run key ${key} is invalid`);
  return key;
}
function registryOf(ref) {
  const first = ref.split("/")[0];
  return ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}
function defaultRegistry(manifest, images) {
  const hosts = [...new Set(Object.values(resolveImageVars(manifest, images)).map((i) => registryOf(i.ref)))];
  if (hosts.length !== 1)
    throw new RequestError(
      `registry: the images come from ${hosts.length} registries (${hosts.join(", ")}); set registry to the one registry_username/registry_password are for`
    );
  return hosts[0];
}
var common = (s, runKey2) => ({
  root: s.remote.root,
  source: s.remote.source,
  actor: s.actor,
  run_id: s.runId,
  run_key: runKey2,
  lock_timeout_s: s.lockTimeoutS,
  ...s.keepReleases !== void 0 ? { keep_releases: s.keepReleases } : {}
});
function buildDeployRequest(s, manifest, paths, runKey2) {
  const registry = s.registry && paths.passwordFile ? {
    registry: s.registry.registry ?? defaultRegistry(manifest, s.images),
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
    ...common(s, runKey2)
  });
  if (!r.success) throw new RequestError(`the deploy request is invalid: ${formatIssues(r.error)}`);
  return r.data;
}
function buildRollbackRequest(s, runKey2) {
  const r = rollbackRequest.safeParse({
    command: "rollback",
    stack: s.stack,
    env: s.environment,
    steps: s.stepsBack,
    ...common(s, runKey2)
  });
  if (!r.success) throw new RequestError(`the rollback request is invalid: ${formatIssues(r.error)}`);
  return r.data;
}

// src/modes.ts
var PLACEHOLDER_DIR = "/tmp/seisei-deploy.XXXXXXXXXX";
var STAGED_ON_SERVER = { dir: "-", digestFile: "/dev/stdin", passwordFile: "/dev/stdin" };
var sha256File = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
var needsManifest = (mode) => mode === "deploy" || mode === "verify";
function precheckDeploy(s, m) {
  const vars = resolveImageVars(m.manifest, s.images);
  for (const [v, img] of Object.entries(vars)) info(`${v}=${img.ref}`);
  buildDeployRequest(
    s,
    m.manifest,
    {
      dir: PLACEHOLDER_DIR,
      digestFile: `${PLACEHOLDER_DIR}/image-digests.json`,
      passwordFile: s.registry ? `${PLACEHOLDER_DIR}/registry-password` : void 0
    },
    makeRunKey(s.runId, s.runAttempt)
  );
}
function verifyResult(res, renderer, tag, hostName) {
  const docs = [];
  for (const line of res.stdout.split("\n")) {
    const e = parseEventLine(line);
    if (e) renderer.handle(e, line);
    else if (line.trim()) {
      try {
        const v = JSON.parse(line);
        if (v && typeof v === "object") docs.push(v);
        else renderer.handle(void 0, line);
      } catch {
        renderer.handle(void 0, line);
      }
    }
  }
  if (!docs.length && res.stdout.trim()) {
    try {
      const v = JSON.parse(res.stdout);
      if (v && typeof v === "object") docs.push(v);
    } catch {
    }
  }
  renderer.close();
  if (renderer.result) return renderer.result;
  const base = { v: 1, ts: (/* @__PURE__ */ new Date()).toISOString(), type: "result", mode: "verify" };
  if (res.code === 0) {
    const doc = docs[docs.length - 1] ?? {};
    const marker = doc.marker && typeof doc.marker === "object" ? doc.marker : doc;
    return {
      ...base,
      status: "success",
      msg: `${tag} is verified${typeof doc.path === "string" ? `: ${doc.path}` : ""}`,
      manifest: marker
    };
  }
  const why = res.stderr.trim().replace(/^seisei-deploy: /, "") || res.stdout.trim() || `exit ${res.code}`;
  return {
    ...base,
    status: "failed",
    msg: `verify of ${tag} on ${hostName} failed: ${why.slice(-2e3)}`,
    error: why.slice(-2e3)
  };
}
function logStatus(status) {
  const stacks = status?.stacks ?? [];
  for (const st of stacks) {
    const m = st.manifest ?? {};
    const problems = st.problems ?? [];
    info(
      `${st.stack}: ${m.release_id ? `live ${String(m.release_id)} (${String(m.env)}, ${String(m.image_digest).slice(0, 19)}\u2026), deployed ${String(m.deployed_at_utc)} by ${String(m.actor) || "?"}` : "no current manifest"}; ${problems.length ? `${problems.length} problem(s)` : "consistent"}`
    );
    for (const p of problems)
      (p.severity === "drift" ? warning : info)(`  ${st.stack}: ${p.message}`);
  }
  startGroup("status report (JSON)");
  info(JSON.stringify(status, null, 2));
  endGroup();
}
function currentOf(status, stack) {
  const o = status && typeof status === "object" ? status : {};
  const entry = Array.isArray(o.stacks) ? o.stacks.find((e) => e?.stack === stack) : void 0;
  const m = entry?.manifest ?? (o.stack === stack ? o.manifest ?? o : void 0);
  return m && typeof m === "object" ? m : {};
}
function summaryContext(s, h) {
  return {
    mode: s.mode,
    stack: s.stack,
    environment: s.environment,
    imageTag: s.imageTag,
    actor: s.actor,
    runId: s.runId,
    breakGlass: s.breakGlass,
    breakGlassReason: s.breakGlassReason,
    host: h.target.host,
    runKey: h.runKey,
    journal: h.journal
  };
}
async function runOnHost(s, target, manifest, opts) {
  const host = new HostSession(s, target, opts);
  const renderer = new EventRenderer();
  try {
    const server = await group(`Connect to ${host.label}`, () => host.open());
    const files = [];
    const script = localRemoteScript(opts.env);
    if (server.installedSha256 === sha256File(script)) {
      host.executor = installedExecutor(s.remote.root);
      info(`Using the executor installed at ${host.executor} (same build as this action)`);
    } else files.push({ name: "remote.cjs", local: script, mode: 384 });
    if (manifest && s.mode === "verify")
      files.push({ name: "image-digests.json", data: manifest.text, mode: 384 });
    const upload = async () => {
      if (!files.length) return void 0;
      const dir = await host.makeTempDir();
      await host.upload(files);
      info(`Uploaded ${files.map((f) => f.name).join(", ")} to ${dir}`);
      return dir;
    };
    if (s.mode === "deploy" || s.mode === "rollback") {
      const runKey2 = makeRunKey(s.runId, s.runAttempt);
      const unknownOnLoss = async (phase) => {
        try {
          return await phase();
        } catch (err) {
          if (err instanceof OutcomeUnknownError) setStatus("unknown");
          throw err;
        }
      };
      await unknownOnLoss(
        () => group(`Upload and start the ${s.mode}`, async () => {
          await upload();
          const inputs = s.mode === "deploy" ? {
            request: buildDeployRequest(s, manifest.manifest, STAGED_ON_SERVER, runKey2),
            digest_manifest: manifest.text,
            ...s.registry ? { registry_password: s.registry.password } : {}
          } : { request: buildRollbackRequest(s, runKey2) };
          await host.start(inputs, runKey2);
        })
      );
      let result;
      try {
        result = await unknownOnLoss(() => host.follow((l) => renderer.handle(l.event, l.text)));
      } catch (err) {
        renderer.close();
        throw err;
      }
      await reportResult(result, summaryContext(s, host), renderer);
      return result;
    }
    if (s.mode === "verify") {
      const dir = await group("Upload", upload);
      const note = s.runUrl ? `verified by ${s.runUrl}` : `verified by run ${s.runId || "(local)"}`;
      const args = ["verify", s.imageTag, "--digest-file", `${dir}/image-digests.json`, "--note", note];
      if (s.actor) args.push("--actor", s.actor);
      args.push("--root", s.remote.root, "--json");
      const res2 = await host.runSync(args);
      const result = verifyResult(res2, renderer, s.imageTag, target.host);
      await reportResult(result, summaryContext(s, host), renderer);
      return result;
    }
    if (files.length) await group("Upload", upload);
    const res = await host.runSync([
      "status",
      ...s.stack ? [s.stack] : [],
      "--root",
      s.remote.root,
      "--json"
    ]);
    if (res.code !== 0)
      throw new RemoteError(
        `status on ${target.host} failed (exit ${res.code}): ${(res.stderr || res.stdout).trim().slice(-2e3)}`
      );
    let status;
    try {
      status = JSON.parse(res.stdout);
    } catch {
      throw new RemoteError(`status on ${target.host} printed no JSON: ${res.stdout.slice(0, 500)}`);
    }
    logStatus(status);
    const current = s.stack ? currentOf(status, s.stack) : {};
    const str = (v) => typeof v === "string" ? v : "";
    setOutputs({
      status: "success",
      release_id: str(current.release_id),
      release_dir: str(current.release_dir),
      image_ref: str(current.image_ref),
      image_digest: str(current.image_digest),
      previous_release_id: str(current.previous_release_id),
      manifest: JSON.stringify(status)
    });
    await writeStatusSummary(status, host.target.host);
    return {
      v: 1,
      ts: (/* @__PURE__ */ new Date()).toISOString(),
      type: "result",
      status: "success",
      mode: "status",
      msg: "status",
      manifest: current
    };
  } finally {
    renderer.close();
    await host.cleanup().catch((e) => warning(`cleanup: ${e.message}`));
    host.close();
  }
}
export {
  currentOf,
  needsManifest,
  precheckDeploy,
  runOnHost,
  verifyResult
};
