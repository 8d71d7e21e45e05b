import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  RELEASE_ID_RE,
  _enum,
  array,
  boolean,
  envName,
  freeText,
  imageMapping,
  imageTag,
  isSafeAbsPath,
  literal,
  number,
  object,
  record,
  runKey,
  stackName,
  strictObject,
  string
} from "./chunk-JL5PL23L.js";

// common/layout.ts
import { posix } from "node:path";
var { join } = posix;
var DEFAULT_ROOT = "/srv";
var DEFAULT_STACKS_SOURCE = "/opt/seisei-odoo-addons/infra/stacks";
function layout(root) {
  const releasesDir = join(root, "releases");
  const stackReleases = (stack) => join(releasesDir, "stacks", stack);
  return {
    root,
    stacksDir: join(root, "stacks"),
    liveLink: (stack) => join(root, "stacks", stack),
    releasesDir,
    stackReleases,
    releaseDir: (stack, id) => join(stackReleases(stack), id),
    verifiedDir: join(releasesDir, "verified"),
    marker: (tag) => join(releasesDir, "verified", tag),
    currentDir: join(releasesDir, "current"),
    currentManifest: (stack) => join(releasesDir, "current", `${stack}.json`),
    history: join(releasesDir, "deploy_history.log"),
    locksDir: join(releasesDir, "locks"),
    lockFile: (stack) => join(releasesDir, "locks", `${stack}.lock`),
    runsDir: (stack) => join(releasesDir, "runs", stack),
    journal: (stack, key) => join(releasesDir, "runs", stack, `${key}.jsonl`),
    binDir: join(releasesDir, "bin"),
    cli: join(releasesDir, "bin", "seisei-deploy"),
    backupsDir: join(root, "backups"),
    // A bad release is marked by a file inside its (otherwise immutable) directory's sibling space.
    badMarker: (stack, id) => join(stackReleases(stack), `.bad-${id}`)
  };
}

// common/request.ts
var REQUEST_FORMAT = 1;
var absPath = (field) => string().refine(isSafeAbsPath, {
  error: `${field} must be an absolute path without '..'`
});
var commonOptions = {
  root: absPath("root").default(DEFAULT_ROOT),
  source: absPath("source").default(DEFAULT_STACKS_SOURCE),
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
function describeProvenance(p) {
  if (!p?.state) return "not checked";
  const signer = p.signer_workflow ? ` by ${p.signer_workflow}@${p.signer_ref ?? "?"}` : "";
  return `${p.state}${signer}`;
}
var fleetPosition = strictObject({
  size: number().int().min(1).max(1e3),
  position: number().int().min(1).max(1e3)
}).refine((f) => f.position <= f.size, { error: "fleet.position must be at most fleet.size" });
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
  /** A dry run of validate + gate + safety, without the lock; nothing changes (a fleet's pre-check). */
  check: boolean().default(false),
  fleet: fleetPosition.optional(),
  ...commonOptions
});
var rollbackRequest = object({
  command: literal("rollback"),
  stack: stackName,
  env: envName,
  steps: number().int().min(1).max(100).default(1),
  /** Go to exactly this release (a rollback candidate), not N steps back: a fleet's way back. */
  to: string().refine((v) => RELEASE_ID_RE.test(v), { error: "to must be a release id (<tag>__<YYYYMMDDTHHMMSSZ>)" }).optional(),
  fleet: fleetPosition.optional(),
  ...commonOptions
});
function formatIssues(err) {
  return err.issues.map((i) => {
    const field = i.path.join(".");
    return field && !i.message.startsWith(field) ? `${field}: ${i.message}` : i.message;
  }).join("\n");
}

// src/host/executor.ts
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join as join2 } from "node:path";
import { fileURLToPath } from "node:url";

// src/ssh/shell.ts
function shellQuote(s) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
var shellJoin = (words) => words.map(shellQuote).join(" ");
var asRoot = (r) => r.sudo ? "sudo -n " : "";

// src/ssh/installed-executor.ts
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

// src/host/executor.ts
var EXECUTOR_MISMATCH = ["fail", "use-installed"];
function chooseExecutor(server, build, opts) {
  return server.narrow ? chooseNarrow(server, build, opts) : chooseWide(server.installed, build.sha256);
}
function chooseWide(installed, sha256) {
  const upload = (note, warn = false) => ({
    direct: false,
    sameBuild: true,
    note,
    warn
  });
  if (!installed) return upload("No installed executor to look at; uploading this build");
  const at = installed.path;
  switch (installed.state) {
    case "ok":
      return installed.sha256 === sha256 ? {
        executor: at,
        direct: false,
        sameBuild: true,
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
  const at = installed?.path ?? layout(opts.root).cli;
  if (installed?.state !== "ok")
    throw new Error(
      `The deploy user's sudo allows only ${at}, but it ${installed?.state === "untrusted" ? `is not trustworthy (${installed.reason})` : `cannot be read there${installed?.reason ? ` (${installed.reason})` : ""}`}: ${upgradeHint(opts.root)}`
    );
  const narrow = { executor: at, direct: true, warn: false, sameBuild: false };
  if (installed.sha256 === build.sha256)
    return {
      ...narrow,
      sameBuild: true,
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
var sha256Hex = (data) => createHash("sha256").update(data).digest("hex");
function localRemoteScript(override) {
  if (override) return override;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join2(here, "remote.cjs"),
    join2(here, "..", "remote.cjs"),
    join2(here, "..", "..", "dist", "remote.cjs")
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new Error(
      `the executor bundle remote.cjs is missing (looked at ${candidates.join(", ")}); the action is not built correctly`
    );
  return found;
}

// src/ssh/host-key.ts
import { createHash as createHash2, createHmac } from "node:crypto";
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
  return "SHA256:" + createHash2("sha256").update(blob).digest("base64").replace(/=+$/, "");
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
  DEFAULT_ROOT,
  DEFAULT_STACKS_SOURCE,
  layout,
  describeProvenance,
  deployRequest,
  rollbackRequest,
  formatIssues,
  shellQuote,
  shellJoin,
  asRoot,
  parseInstalledVersion,
  upgradeHint,
  installedExecutorScript,
  parseInstalled,
  EXECUTOR_MISMATCH,
  chooseExecutor,
  ACTION_VERSION,
  sha256Hex,
  localRemoteScript
};
