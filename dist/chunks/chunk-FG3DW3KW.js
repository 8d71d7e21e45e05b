import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  absPath,
  anyString,
  boolean,
  integer,
  matching,
  oneOf,
  parsedBy,
  show
} from "./chunk-SXDYCLSA.js";
import {
  DEFAULT_ROOT,
  DEFAULT_STACKS_SOURCE,
  EXECUTOR_MISMATCH,
  HostKeyError,
  knownHostsName,
  parseHostKeys,
  pinsForHost
} from "./chunk-24WOHV2D.js";

// src/inputs/target.ts
var PRIVATE_KEY_FORM = "private_key: is not valid; expected a PEM/OpenSSH private key (-----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----)";
var HOST_RE = /^(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;
var TARGET_FIELDS = {
  host: parsedBy((v) => {
    const h = v.replace(/^\[(.*)\]$/, "$1");
    if (!HOST_RE.test(h))
      throw new Error(
        `host: ${show(v)} is not valid; expected a host name or IP address (e.g. deploy.example.com)`
      );
    return h;
  }),
  port: integer("port", 1, 65535),
  username: matching("username", /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, "a user name (e.g. deploy)"),
  private_key: parsedBy((v) => {
    if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(v) || !/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(v))
      throw new Error(PRIVATE_KEY_FORM);
    return v.endsWith("\n") ? v : v + "\n";
  }),
  passphrase: anyString,
  host_key: parsedBy((v) => {
    try {
      return parseHostKeys(v);
    } catch (err) {
      throw err instanceof HostKeyError ? err : new Error(`host_key: ${err.message}`);
    }
  }),
  sudo: boolean("sudo"),
  executor_mismatch: oneOf("executor_mismatch", EXECUTOR_MISMATCH),
  remote_node: matching(
    "remote_node",
    /^[A-Za-z0-9_./+-]{1,255}$/,
    "a command name or absolute path of Node.js on the server (e.g. node, /usr/bin/node)"
  ),
  srv_root: absPath("srv_root"),
  stacks_source: absPath("stacks_source")
};
var TARGET_REQUIRED_WHY = {
  host_key: `(the server's SSH host key: "SHA256:<base64>" fingerprints or known_hosts lines; host key verification cannot be turned off)`,
  private_key: "(the SSH private key of the deploy user, PEM or OpenSSH format)"
};
function serverOptions(v) {
  return {
    sudo: v.sudo ?? true,
    executorMismatch: v.executor_mismatch ?? "fail",
    node: v.remote_node ?? "node",
    root: v.srv_root ?? DEFAULT_ROOT,
    source: v.stacks_source ?? DEFAULT_STACKS_SOURCE
  };
}
function sshEndpoint(v, p) {
  if (!v.host || !v.host_key) return void 0;
  const port = v.port ?? 22;
  const hostKeys = pinsForHost(v.host_key, v.host, port);
  if (!hostKeys.length) {
    const name = knownHostsName(v.host, port);
    const named = [...new Set(v.host_key.map((k) => k.hosts))].join(", ");
    p.add(
      `host_key: no line applies to ${name}: the known_hosts lines name ${named}; add a line for ${name} (ssh-keyscan -p ${port} ${v.host}) or a "SHA256:..." fingerprint`
    );
  }
  if (!v.username || !v.private_key) return void 0;
  return {
    host: v.host,
    port,
    username: v.username,
    privateKey: v.private_key,
    passphrase: v.passphrase,
    hostKeys
  };
}

// src/inputs/fleet.ts
var MAX_HOSTS = 1e3;
var ON_FAILURE = ["rollback", "halt"];
function parseHostsList(text) {
  const out = [];
  const seen = /* @__PURE__ */ new Set();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) continue;
    const where = `hosts: line ${i + 1} (${show(line)})`;
    const m = /^(?:\[([^\]]+)\]|([^:\s]+))(?::(\d{1,5}))?$/.exec(line) ?? /^([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)()$/.exec(line);
    const host = m ? m[1] ?? m[2] ?? "" : "";
    if (!m || !HOST_RE.test(host))
      throw new Error(
        `${where} is not valid; expected a host name or IP address, optionally :port (e.g. app1.example.com:2222)`
      );
    const port = m[3] !== void 0 ? Number(m[3]) : void 0;
    if (port !== void 0 && (port < 1 || port > 65535))
      throw new Error(`${where}: the port must be from 1 to 65535`);
    const key = `${host.toLowerCase()}:${port ?? ""}`;
    if (seen.has(key)) throw new Error(`${where}: ${host} is listed twice; list each host once`);
    seen.add(key);
    out.push({ host, ...port !== void 0 ? { port } : {} });
  }
  if (out.length > MAX_HOSTS) throw new Error(`hosts: ${out.length} hosts; at most ${MAX_HOSTS}`);
  return out;
}
function parseRollout(v) {
  if (v === "parallel") return { kind: "parallel" };
  const m = /^(\d{1,4})(%?)$/.exec(v);
  const n = m ? Number(m[1]) : NaN;
  if (m && m[2] === "%" && n >= 1 && n <= 100) return { kind: "percent", pct: n };
  if (m && !m[2] && n >= 1 && n <= MAX_HOSTS) return { kind: "count", n };
  throw new Error(
    `rollout: ${show(v)} is not valid; expected parallel, a number of hosts per batch (e.g. 1) or a percentage of the hosts (e.g. 25%)`
  );
}
function batchPlan(hostCount, rollout) {
  const size = rollout.kind === "parallel" ? hostCount : rollout.kind === "count" ? rollout.n : Math.ceil(hostCount * rollout.pct / 100);
  const per = Math.max(1, Math.min(hostCount, size));
  const batches = [];
  for (let i = 0; i < hostCount; i += per)
    batches.push(Array.from({ length: Math.min(per, hostCount - i) }, (_, k) => i + k));
  return batches;
}
var FLEET_FIELDS = {
  hosts: parsedBy((v) => {
    const list = parseHostsList(v);
    if (!list.length)
      throw new Error("hosts: lists no host (only comments or blank lines); list one host a line");
    return list;
  }),
  rollout: parsedBy(parseRollout),
  rollout_wait: integer("rollout_wait", 0, 3600, " (seconds)"),
  on_failure: oneOf("on_failure", ON_FAILURE)
};
function fleetSettings(v, hostInput, login, p) {
  if (!v.hosts) {
    for (const name of ["rollout", "rollout_wait", "on_failure"])
      if (v[name] !== void 0)
        p.fail(name, `${name}: only applies with hosts (a fleet); set hosts or remove ${name}`);
    return void 0;
  }
  if (hostInput !== "") p.fail("host", "host: set either host (one server) or hosts (a fleet), not both");
  const endpoints = [];
  for (const a of v.hosts) {
    const port = a.port ?? login.port ?? 22;
    if (!login.hostKeys) continue;
    const pins = pinsForHost(login.hostKeys, a.host, port);
    if (!pins.length) {
      const name = knownHostsName(a.host, port);
      p.add(
        `host_key: no line applies to ${name} (from hosts); add a known_hosts line for ${name} (ssh-keyscan -p ${port} ${a.host}) or a "SHA256:..." fingerprint`
      );
      continue;
    }
    if (login.username && login.privateKey)
      endpoints.push({
        host: a.host,
        port,
        username: login.username,
        privateKey: login.privateKey,
        passphrase: login.passphrase,
        hostKeys: pins
      });
  }
  return {
    endpoints,
    rollout: v.rollout ?? { kind: "count", n: 1 },
    rolloutWaitS: v.rollout_wait ?? 0,
    onFailure: v.on_failure ?? "rollback"
  };
}

export {
  TARGET_FIELDS,
  TARGET_REQUIRED_WHY,
  serverOptions,
  sshEndpoint,
  batchPlan,
  FLEET_FIELDS,
  fleetSettings
};
