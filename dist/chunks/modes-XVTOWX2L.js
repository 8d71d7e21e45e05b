import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  resolveImageVars
} from "./chunk-RVLFMT7Y.js";
import {
  ACTION_VERSION,
  EventRenderer,
  checkHostKey,
  chooseExecutor,
  deployRequest,
  describePins,
  driftMessage,
  formatIssues,
  hostKeyAlgorithms,
  parseInstalledVersion,
  reportResult,
  rollbackRequest,
  setOutputs,
  setStatus,
  statusDrift,
  upgradeHint,
  writeStatusSummary
} from "./chunk-KXNCHVPW.js";
import {
  RUN_KEY_RE,
  safeText
} from "./chunk-F2Z5YPSB.js";
import {
  endGroup,
  group,
  info,
  setFailed,
  startGroup,
  warning
} from "./chunk-3TX4BVXH.js";
import "./chunk-YJNYZRAZ.js";
import "./chunk-B54QJ254.js";

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

// src/remote-run.ts
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// src/journal.ts
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
  close() {
    this.closedFlag = true;
    try {
      this.ssh.dispose();
    } catch {
    }
  }
};
async function connect(target) {
  const { NodeSSH } = await import("./esm-QV4GCI5Y.js");
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
var USER_TOOLS = ["mktemp", "cat", "sha256sum", "stat", "rm"];
function installedExecutorScript(path) {
  return [
    `F=${shellQuote(path)}`,
    // cli_walk P: "ok" when root owns P and each directory above it, and none of them (a symlink
    // aside: its mode means nothing) is writable by group or others unless it is a sticky
    // directory; otherwise the first problem. One stat for them all; an answer that does not
    // have one line per path is a problem (fail-closed).
    `cli_walk() { p=$1; set --; while :; do set -- "$@" "$p"; [ "$p" = / ] && break; p=\${p%/*}; [ -n "$p" ] || p=/; done; n=$#; o=$(stat -c '%u %A %n' -- "$@" 2>/dev/null) || { echo "cannot stat $1 or a directory above it"; return; }; k=0; r=ok; while IFS= read -r l; do k=$((k+1)); u=\${l%% *}; l=\${l#* }; m=\${l%% *}; q=\${l#* }; if [ "$u" != 0 ]; then r="$q is owned by uid $u, not root"; break; fi; case $m in l*|d????????[tT]) ;; ?????w*|????????w*) r="$q is writable by group or others ($m)"; break;; [-d]?????????) ;; *) r="cannot read the mode of $q ($m)"; break;; esac; done <<EOF
$o
EOF
if [ "$r" = ok ] && [ "$k" != "$n" ]; then r="cannot check $1: unexpected answer from stat"; fi; echo "$r"; }`,
    // Missing for sure: the nearest ancestor that exists is searchable, so its child is really absent.
    `cli_absent() { c=$F; while [ ! -e "$c" ] && [ ! -L "$c" ]; do p=\${c%/*}; [ -n "$p" ] || p=/; if [ -e "$p" ]; then [ -d "$p" ] && [ -x "$p" ]; return; fi; [ "$p" = "$c" ] && return 1; c=$p; done; return 1; }`,
    `if [ -e "$F" ] || [ -L "$F" ]; then`,
    `  if [ -L "$F" ] || [ ! -f "$F" ]; then echo "cli=untrusted $F is not a regular file"`,
    `  else`,
    `    b=$(cli_walk "$F")`,
    `    if [ "$b" = ok ]; then d=$(cd -P -- "\${F%/*}" 2>/dev/null && pwd -P); if [ -n "$d" ]; then b=$(cli_walk "$d"); else b="cannot resolve the directory of $F"; fi; fi`,
    // One line, whatever the names hold.
    `    if [ "$b" != ok ]; then printf 'cli=untrusted %s\\n' "$(printf %s "\${b:-cannot check $F}" | tr '\\n' ' ')"`,
    `    elif h=$(sha256sum < "$F" 2>/dev/null); then echo "cli=ok \${h%% *}"`,
    `    else echo "cli=unknown $F is not readable by $(id -un 2>/dev/null)"; fi`,
    `  fi`,
    `elif cli_absent; then echo cli=absent`,
    `else echo "cli=unknown a directory above $F is not searchable by $(id -un 2>/dev/null)"; fi`
  ].join("\n");
}
function preflightScript(r) {
  return [
    `N=${shellQuote(r.node)}`,
    r.sudo ? `if ! command -v sudo >/dev/null 2>&1; then echo sudo=missing; exit 0; fi; if sudo -n true 2>/dev/null; then echo sudo=ok; S='sudo -n'; ` + (r.root ? narrowSudoProbe(installedExecutor(r.root)) : "") + `else echo sudo=fail; exit 0; fi` : `S=''`,
    // With narrow sudo, Node.js and Docker cannot be asked as root; the executor's preflight checks Docker.
    `if [ "$S" != narrow ]; then`,
    `if v=$($S "$N" -e 'process.stdout.write(process.versions.node)' 2>&1); then echo "node=ok $v"; else echo "node=fail $(printf %s "$v" | tr '\\n' ' ' | cut -c1-300)"; fi`,
    `if d=$($S docker version --format '{{.Server.Version}}' 2>&1); then echo "docker=ok $d"; else echo "docker=fail $(printf %s "$d" | tr '\\n' ' ' | cut -c1-300)"; fi`,
    `fi`,
    // command -v only tells whether a name runs (for a builtin it prints the bare name).
    `m=; for t in ${USER_TOOLS.join(" ")}; do command -v "$t" >/dev/null 2>&1 || m="$m $t"; done; echo "tools=\${m# }"`,
    ...r.root ? [installedExecutorScript(installedExecutor(r.root))] : []
  ].join("\n");
}
function narrowSudoProbe(exe) {
  const q = shellQuote(exe);
  return `elif sudo -n -l ${q} >/dev/null 2>&1; then echo sudo=narrow; S=narrow; echo "exe=$(sudo -n ${q} version --json 2>/dev/null | head -c 500 | tr '\\n' ' ')"; `;
}
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
      sudo === "missing" ? `sudo is not installed on ${t.host}; install it, or set sudo: false if ${t.username} may run Docker and write srv_root itself` : `passwordless sudo is not available for ${t.username} on ${t.host} ('sudo -n true' failed): allow it in sudoers for true, node and docker (see docs/server-setup.md, "sudo for the deploy user"); or, for sudo that allows only the installed executor, install it (${upgradeHint(r.root ?? "/srv")}) and allow exactly ${installedExecutor(r.root ?? "/srv")}; or set sudo: false if ${t.username} may run Docker and write srv_root itself`
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
function parseInstalled(line, path) {
  const [state = "", ...rest] = (line ?? "").split(" ");
  const detail = rest.join(" ").slice(0, 500);
  if (state === "absent") return { path, state: "absent" };
  if (state === "ok" && /^[0-9a-f]{64}$/.test(detail)) return { path, state: "ok", sha256: detail };
  if (state === "untrusted") return { path, state: "untrusted", reason: detail || "no reason given" };
  return {
    path,
    state: "unknown",
    reason: detail || (line === void 0 ? "no answer" : `unexpected answer: ${line.slice(0, 200)}`)
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
var sha256Hex = (data) => createHash("sha256").update(data).digest("hex");
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
var TMP_RE = TEMP_DIR_RE;
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
  /** Run the executor by its shebang (narrow sudo allows only that file), not `<node> <file>`. */
  direct = false;
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
      safeText(
        info2.narrow ? `Server: sudo allows only the installed executor${info2.installedVersion ? ` (seisei-deploy ${info2.installedVersion.version})` : ""}` : `Server: Node.js ${info2.nodeVersion}, Docker ${info2.dockerVersion}${this.settings.remote.sudo ? ", passwordless sudo" : ""}`
      )
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
    if (this.direct && this.executor)
      return asRoot(this.settings.remote) + shellJoin([this.executor, ...args]);
    return asRoot(this.settings.remote) + shellJoin([this.settings.remote.node, this.executor ?? `${this.tmpDir}/remote.cjs`, ...args]);
  }
  /**
   * Sends the files into a new private temp dir (mktemp -d: 0700, owned by the SSH user), one exec
   * per file with the bytes on stdin (no SFTP); the server checks each file's sha256 before it is
   * used. Returns the dir.
   */
  async upload(files) {
    if (!files.length) throw new RemoteError("internal: nothing to upload");
    for (const f of files) await this.sendFile(f);
    return this.tmpDir;
  }
  async sendFile(f) {
    const sha256 = sha256Hex(f.data);
    const res = await this.live().exec(sendFileScript({ name: f.name, sha256 }, this.tmpDir), {
      stdin: f.data,
      timeoutMs: 12e4
    });
    const dir = /^dir=(.*)$/m.exec(res.stdout)?.[1];
    if (dir !== void 0 && !this.tmpDir) {
      if (!TMP_RE.test(dir))
        throw new RemoteError(
          `cannot create a temporary directory on ${this.target.host}: mktemp -d answered ${JSON.stringify(dir.slice(0, 200))}`
        );
      this.tmpDir = dir;
    }
    if (res.code === 0 && this.tmpDir && new RegExp(`^sent=${sha256}$`, "m").test(res.stdout)) return;
    const why = res.code === null ? res.timedOut ? "timed out" : this.session?.closeReason ?? "connection lost" : `exit ${res.code}: ${(res.stderr || res.stdout).trim().slice(-500) || "no output"}`;
    throw new RemoteError(
      `cannot send ${f.name} to ${this.target.host}${this.tmpDir ? `:${this.tmpDir}` : ""}: ${why}`
    );
  }
  /** Starts `remote.cjs run <request> --detach`: validated synchronously, then detached from SSH. */
  async start(inputs, runKey) {
    if (!RUN_KEY_RE.test(runKey)) throw new RemoteError(`internal: invalid run key ${runKey}`);
    this.throwIfCancelled();
    const res = await this.live().exec(this.cli(["run", "-", "--detach", "--run-key", runKey]), {
      timeoutMs: 12e4,
      stdin: JSON.stringify(inputs)
    });
    if (res.code === 2)
      throw new RemoteError(`The executor refused the request: ${res.stderr.trim() || res.stdout.trim()}`);
    this.runKey = runKey;
    if (res.code !== 0) {
      if (res.code === null) {
        this.started = true;
        this.journal = `${this.settings.remote.root}/releases/runs/${this.settings.stack ?? ""}/${runKey}.jsonl`;
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
    if (info2.run_key !== runKey || typeof info2.journal !== "string")
      throw new RemoteError(`The executor answered with an unexpected run (${line.slice(0, 300)})`);
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
  async runSync(args, stdin) {
    this.throwIfCancelled();
    const res = await this.live().exec(this.cli(args), {
      timeoutMs: this.settings.timeoutMinutes * 6e4,
      signal: this.opts.signal,
      ...stdin !== void 0 ? { stdin } : {}
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
        safeText(
          res2.code === 0 ? `${dir} on ${this.target.host} will be removed when the run (pid ${this.pid}) ends` : `Left ${dir} on ${this.target.host} (it holds no secrets): ${res2.stderr}`
        )
      );
      return;
    }
    const rm = () => this.session.exec(`rm -rf -- ${q}`, { timeoutMs: 3e4 }).catch((e) => ({
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
import { readFileSync } from "node:fs";

// src/request-build.ts
import { randomBytes } from "node:crypto";
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
var common = (s, runKey) => ({
  root: s.remote.root,
  source: s.remote.source,
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
    ...common(s, runKey)
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
    ...common(s, runKey)
  });
  if (!r.success) throw new RequestError(`the rollback request is invalid: ${formatIssues(r.error)}`);
  return r.data;
}

// src/modes.ts
var PLACEHOLDER_DIR = "/tmp/seisei-deploy.XXXXXXXXXX";
var STAGED_ON_SERVER = { dir: "-", digestFile: "/dev/stdin", passwordFile: "/dev/stdin" };
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
    makeRunKey(s.runId, s.runAttempt),
    m.provenance
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
      safeText(
        `${st.stack}: ${m.release_id ? `live ${String(m.release_id)} (${String(m.env)}, ${String(m.image_digest).slice(0, 19)}\u2026), deployed ${String(m.deployed_at_utc)} by ${String(m.actor) || "?"}` : "no current manifest"}; ${problems.length ? `${problems.length} problem(s)` : "consistent"}`
      )
    );
    for (const p of problems)
      if (p.severity === "drift") warning(`${st.stack}: ${p.message}`);
      else info(safeText(`  ${st.stack}: ${p.message}`));
  }
  startGroup("status report (JSON)");
  info(safeText(JSON.stringify(status, null, 2)));
  endGroup();
}
function statusReport(res, hostName) {
  const said = () => (res.stderr || res.stdout).trim().slice(-2e3);
  if (res.code !== 0 && res.code !== 1)
    throw new RemoteError(`status on ${hostName} failed (exit ${res.code}): ${said()}`);
  let report;
  try {
    report = JSON.parse(res.stdout);
  } catch {
    throw new RemoteError(
      res.code === 0 ? `status on ${hostName} printed no JSON: ${res.stdout.slice(0, 500)}` : `status on ${hostName} failed (exit ${res.code}): ${said()}`
    );
  }
  if (res.code === 1 && !statusDrift(report).length)
    throw new RemoteError(`status on ${hostName} exited 1 but its report names no drift: ${said()}`);
  return report;
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
    const script = readFileSync(localRemoteScript(opts.env));
    const choice = chooseExecutor(
      server,
      { sha256: sha256Hex(script), version: ACTION_VERSION },
      { root: s.remote.root, mismatch: s.remote.executorMismatch }
    );
    (choice.warn ? warning : info)(safeText(choice.note));
    host.executor = choice.executor;
    host.direct = choice.direct;
    if (!choice.executor) files.push({ name: "remote.cjs", data: script });
    const upload = async () => {
      if (!files.length) return void 0;
      const dir = await host.upload(files);
      info(`Uploaded ${files.map((f) => f.name).join(", ")} to ${dir}`);
      return dir;
    };
    if (s.mode === "deploy" || s.mode === "rollback") {
      const runKey = makeRunKey(s.runId, s.runAttempt);
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
            request: buildDeployRequest(
              s,
              manifest.manifest,
              STAGED_ON_SERVER,
              runKey,
              manifest.provenance
            ),
            digest_manifest: manifest.text,
            ...s.registry ? { registry_password: s.registry.password } : {}
          } : { request: buildRollbackRequest(s, runKey) };
          await host.start(inputs, runKey);
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
      if (files.length) await group("Upload", upload);
      const note = s.runUrl ? `verified by ${s.runUrl}` : `verified by run ${s.runId || "(local)"}`;
      const args = ["verify", s.imageTag, "--digest-file", "-", "--note", note];
      if (s.actor) args.push(`--actor=${s.actor}`);
      if (manifest?.provenance) args.push(`--provenance=${JSON.stringify(manifest.provenance)}`);
      args.push("--root", s.remote.root, "--json");
      const res2 = await host.runSync(args, manifest.text);
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
    const report = statusReport(res, target.host);
    logStatus(report);
    const drift = statusDrift(report);
    const current = s.stack ? currentOf(report, s.stack) : {};
    const str = (v) => typeof v === "string" ? v : "";
    const status = drift.length ? "failed" : "success";
    setOutputs({
      status,
      release_id: str(current.release_id),
      release_dir: str(current.release_dir),
      image_ref: str(current.image_ref),
      image_digest: str(current.image_digest),
      previous_release_id: str(current.previous_release_id),
      manifest: JSON.stringify(report)
    });
    await writeStatusSummary(report, host.target.host);
    const msg = drift.length ? driftMessage(target.host, drift) : "status";
    if (drift.length) setFailed(msg);
    return {
      v: 1,
      ts: (/* @__PURE__ */ new Date()).toISOString(),
      type: "result",
      status,
      mode: "status",
      msg,
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
  statusReport,
  verifyResult
};
