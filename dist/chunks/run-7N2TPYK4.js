import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  currentOf,
  statusDrift,
  statusReport,
  verifyArgs,
  verifyResult
} from "./chunk-F2E54YE7.js";
import {
  batchPlan
} from "./chunk-FG3DW3KW.js";
import "./chunk-SXDYCLSA.js";
import {
  EventRenderer,
  HostSession,
  STAGED_ON_SERVER,
  buildDeployRequest,
  buildRollbackRequest,
  escapeHtml,
  makeRunKey,
  parseEventLine,
  runInputs,
  sleep,
  useExecutor,
  writeOrSkip
} from "./chunk-ISK7JXSB.js";
import "./chunk-24WOHV2D.js";
import {
  outputStatusOf,
  setOutputs
} from "./chunk-VITA26D3.js";
import {
  safeText
} from "./chunk-5XLKRPSF.js";
import "./chunk-2HTZ3WDJ.js";
import {
  RELEASE_ID_RE
} from "./chunk-JL5PL23L.js";
import {
  core_exports,
  endGroup,
  group,
  info,
  setFailed,
  setOutput,
  summary,
  warning
} from "./chunk-RR2G3LBB.js";
import "./chunk-B54QJ254.js";

// src/fleet/plan.ts
var emptyRow = (host) => ({
  host,
  status: "skipped",
  release_id: "",
  previous_release_id: "",
  image_digest: "",
  error: ""
});
function tagOfRelease(id) {
  if (!RELEASE_ID_RE.test(id)) return void 0;
  return id.slice(0, id.lastIndexOf("__"));
}
var stampOf = (id) => id.slice(id.lastIndexOf("__") + 2);
function fleetRollbackTarget(hosts) {
  if (!hosts.length) throw new Error("internal: a fleet rollback needs hosts");
  const byHost = hosts.map((h) => {
    const m = /* @__PURE__ */ new Map();
    for (const id of h.candidates) {
      const tag2 = tagOfRelease(id);
      if (tag2 === void 0) continue;
      const had = m.get(tag2);
      if (had === void 0 || stampOf(id) > stampOf(had)) m.set(tag2, id);
    }
    return m;
  });
  const common = [...byHost[0].keys()].filter((t) => byHost.every((m) => m.has(t)));
  if (!common.length)
    throw new Error(
      `no image tag is a rollback candidate on every host: ${hosts.map((h, i) => `${h.host} can go back to ${[...byHost[i].keys()].join(", ") || "nothing"}`).join("; ")}`
    );
  const newest = (tag2) => byHost.map((m) => stampOf(m.get(tag2))).reduce((a, b) => b > a ? b : a);
  const tag = common.reduce((a, b) => newest(b) > newest(a) ? b : a);
  return { tag, releases: byHost.map((m) => m.get(tag)) };
}
function fleetDrift(stack, live) {
  const groups = /* @__PURE__ */ new Map();
  for (const l of live) {
    const key = l.release_id ? `${l.image_tag} (${l.image_digest.slice(0, 19)}\u2026)` : "nothing";
    groups.set(key, [...groups.get(key) ?? [], l]);
  }
  if (groups.size <= 1) return "";
  return `${stack}: the hosts run different releases: ${[...groups].map(([what, hs]) => `${hs.map((h) => h.host).join(", ")} ${hs.length === 1 ? "runs" : "run"} ${what}`).join("; ")}`;
}
function fleetStatus(rows) {
  if (rows.every((r) => r.status === "success")) return "success";
  if (rows.some((r) => r.status === "unknown")) return "unknown";
  const touched = rows.filter((r) => r.status !== "skipped");
  if (touched.length && touched.every((r) => r.status === "rolled_back")) return "rolled_back";
  return "failed";
}
var cell = (s) => s.replace(/\|/g, "\\|").replace(/\s+/g, " ").trim();
function summaryRows(rows) {
  return [
    ["Host", "Result", "Release", "Previous release", "Error"],
    ...rows.map((r) => [r.host, r.status, r.release_id, r.previous_release_id, r.error].map(cell))
  ];
}

// src/fleet/host.ts
var errText = (err) => err instanceof Error ? err.message : String(err);
var HostOut = class {
  constructor(host, live) {
    this.host = host;
    this.live = live;
  }
  host;
  live;
  kept = [];
  emit(kind, msg = "") {
    if (this.live) this.call(kind, msg);
    else this.kept.push([kind, msg]);
  }
  call(kind, msg) {
    if (kind === "endGroup") endGroup();
    else core_exports[kind](msg);
  }
  info(msg) {
    this.emit("info", `[${this.host}] ${msg}`);
  }
  warning(msg) {
    this.emit("warning", `${this.host}: ${msg}`);
  }
  error(msg) {
    this.emit("error", `${this.host}: ${msg}`);
  }
  startGroup(name) {
    this.emit("startGroup", `${this.host} ${name}`);
  }
  endGroup() {
    this.emit("endGroup");
  }
  flush() {
    for (const [kind, msg] of this.kept) this.call(kind, msg);
    this.kept = [];
  }
};
var FleetHost = class {
  constructor(position, size, config, opts, mode) {
    this.position = position;
    this.size = size;
    const { remoteScript: _, ...sessionOpts } = opts;
    const t = config.target;
    this.row = emptyRow(t.port === 22 ? t.host : `${t.host}:${t.port}`);
    this.connectLog = new HostOut(this.row.host, false);
    this.session = new HostSession(config, { ...sessionOpts, mode, log: (l) => this.connectLog.info(l) });
  }
  position;
  size;
  session;
  row;
  /** The connect step's lines, printed as one group when every host is connected. */
  connectLog;
  result;
  get name() {
    return this.row.host;
  }
  get fleet() {
    return { size: this.size, position: this.position };
  }
  /** Sets the row from a run's result. */
  take(r) {
    this.result = r;
    const m = r.manifest ?? {};
    const str = (...v) => String(v.find((x) => typeof x === "string" && x) ?? "");
    Object.assign(this.row, {
      status: r.status,
      release_id: str(r.release_id, m.release_id),
      previous_release_id: str(r.previous_release_id, m.previous_release_id, this.row.previous_release_id),
      image_digest: str(r.image_digest, m.image_digest),
      error: r.status === "success" ? "" : r.error || r.msg
    });
  }
};
var eachHost = (hosts, fn) => Promise.allSettled(hosts.map(fn));
function failures(hosts, settled) {
  return settled.flatMap(
    (r, i) => r.status === "rejected" ? [`${hosts[i].name}: ${errText(r.reason)}`] : []
  );
}
async function connectAll(hosts, opts, plan) {
  const settled = await eachHost(hosts, async (h) => {
    const out = h.connectLog;
    out.startGroup("\u25B6 connect");
    try {
      const info2 = await h.session.open(plan);
      await useExecutor(h.session, info2, opts.remoteScript, out).send((l) => out.info(l));
    } catch (err) {
      out.error(errText(err));
      throw err;
    } finally {
      out.endGroup();
    }
  });
  for (const h of hosts) h.connectLog.flush();
  for (const [i, r] of settled.entries())
    if (r.status === "rejected") Object.assign(hosts[i].row, { status: "failed", error: errText(r.reason) });
  return failures(hosts, settled);
}

// src/fleet/rollout.ts
async function runOnFleetHost(h, inputs, live) {
  const out = new HostOut(h.name, live);
  const renderer = new EventRenderer(out);
  try {
    await h.session.start(inputs);
    const r = await h.session.follow((l) => renderer.handle(l.event, l.text));
    renderer.close();
    return r;
  } finally {
    renderer.close();
    out.flush();
  }
}
async function runInBatch(h, inputs, live) {
  try {
    h.take(await runOnFleetHost(h, inputs, live));
  } catch (err) {
    h.row.status = outputStatusOf(err) === "unknown" ? "unknown" : "failed";
    h.row.error = errText(err);
  }
}
async function rollout(hosts, f, signal, fn) {
  const batches = batchPlan(hosts.length, f.rollout);
  for (const [b, batch] of batches.entries()) {
    if (b > 0 && f.rolloutWaitS > 0) {
      info(`Waiting ${f.rolloutWaitS} s (rollout_wait) before batch ${b + 1} of ${batches.length}`);
      if (!await sleep(f.rolloutWaitS * 1e3, signal))
        throw new Error("The job was cancelled between batches");
    }
    const members = batch.map((i) => hosts[i]);
    info(
      `Batch ${b + 1} of ${batches.length}${b === 0 && batches.length > 1 ? " (canary)" : ""}: ${members.map((h) => h.name).join(", ")}`
    );
    await Promise.all(members.map((h) => fn(h, members.length === 1)));
    const failed = members.find((h) => h.row.status !== "success");
    if (failed) return failed;
    if (signal.aborted) throw new Error("The job was cancelled between batches");
  }
  return void 0;
}

// src/fleet/deploy.ts
function renderOutput(stdout, renderer) {
  for (const line of stdout.split("\n")) renderer.handle(parseEventLine(line), line);
  renderer.close();
  return renderer.result;
}
async function checkHost(h, s, m, runKey) {
  const out = new HostOut(h.name, false);
  const renderer = new EventRenderer(out);
  try {
    const { registry_login: _, ...request } = buildDeployRequest(
      s,
      m.manifest,
      STAGED_ON_SERVER,
      `${runKey}-check`,
      m.provenance
    );
    const res = await h.session.check(
      `${runKey}-check`,
      JSON.stringify({ request: { ...request, check: true, fleet: h.fleet }, digest_manifest: m.text })
    );
    const result = renderOutput(res.stdout, renderer);
    if (!result)
      throw new Error(
        `the check gave no result (exit ${res.code}): ${(res.stderr || res.stdout).trim().slice(-1e3)}`
      );
    if (result.status !== "success") throw new Error(result.msg);
    h.row.previous_release_id = result.previous_release_id ?? "";
  } finally {
    out.flush();
  }
}
async function returnSwitched(switched, s, failed) {
  const notes = [];
  await Promise.all(
    switched.map(async (h) => {
      const to = h.row.previous_release_id;
      if (!to) {
        h.row.error = `no previous release to go back to (the first deploy on this host); left on ${h.row.release_id}`;
        notes.push(`${h.name} stays on ${h.row.release_id} (nothing to go back to)`);
        return;
      }
      const request = { ...buildRollbackRequest(s, makeRunKey(s.runId, s.runAttempt)), to, fleet: h.fleet };
      const deployed = h.row.release_id;
      try {
        const r = await runOnFleetHost(h, { request }, switched.length === 1);
        if (r.status === "success") {
          h.row.status = "rolled_back";
          h.row.error = `rolled back to ${to} because ${failed.name} failed`;
          notes.push(`${h.name} rolled back to ${to}`);
        } else {
          h.row.status = "failed";
          h.row.error = `deployed ${deployed}, then rolling back to ${to} failed: ${r.msg}`;
          notes.push(`${h.name} could not be rolled back to ${to}: ${r.msg}`);
        }
      } catch (err) {
        h.row.status = outputStatusOf(err) === "unknown" ? "unknown" : "failed";
        h.row.error = `deployed ${deployed}, then rolling back to ${to} failed: ${errText(err)}`;
        notes.push(`${h.name}: rolling back to ${to} failed: ${errText(err)}`);
      }
    })
  );
  return notes;
}
async function deployFleet(hosts, s, m, signal, runKey) {
  const f = s.fleet;
  info(`Checking ${hosts.length} hosts (validate, gate, safety) before any host changes`);
  const checked = await eachHost(hosts, (h) => checkHost(h, s, m, runKey));
  const refused = failures(hosts, checked);
  if (refused.length) {
    for (const [i, r] of checked.entries())
      if (r.status === "rejected")
        Object.assign(hosts[i].row, { status: "failed", error: errText(r.reason) });
    return `The fleet deploy stopped before any host changed: ${refused.join("; ")}`;
  }
  if (signal.aborted) return "The job was cancelled before any host changed";
  const failed = await rollout(hosts, f, signal, (h, live) => {
    const inputs = runInputs(s, m, runKey);
    return runInBatch(h, { ...inputs, request: { ...inputs.request, fleet: h.fleet } }, live);
  });
  if (!failed) return "";
  const why = `${failed.name} failed: ${failed.row.error || failed.row.status}`;
  const switched = hosts.filter((h) => h.row.status === "success");
  const untouched = hosts.filter((h) => h.row.status === "skipped").map((h) => h.name);
  const left = untouched.length ? ` ${untouched.join(", ")} not started (left as they were).` : "";
  if (!switched.length) return `${why}.${left}`;
  if (signal.aborted)
    return `${why}. The job was cancelled: ${switched.map((h) => `${h.name} stays on ${h.row.release_id}`).join(", ")}; the fleet runs mixed releases.${left}`;
  if (f.onFailure === "halt")
    return `${why}. on_failure is halt: ${switched.map((h) => `${h.name} stays on ${h.row.release_id}`).join(", ")}; the fleet runs mixed releases.${left}`;
  const notes = await group(
    `Roll back ${switched.map((h) => h.name).join(", ")}`,
    async () => returnSwitched(switched, s, failed)
  );
  return `${why}. ${notes.join("; ")}.${left}`;
}

// src/fleet/report.ts
async function reportFleet(s, hosts, problem, manifest) {
  const rows = hosts.map((h) => h.row);
  const first = hosts[0];
  const r = first.result;
  const m = r?.manifest ?? {};
  const str = (v) => typeof v === "string" ? v : "";
  setOutputs({
    status: s.mode === "status" ? problem ? "failed" : "success" : fleetStatus(rows),
    release_id: first.row.release_id,
    release_dir: str(r?.release_dir ?? m.release_dir),
    image_ref: str(r?.image_ref ?? m.image_ref),
    image_digest: first.row.image_digest,
    previous_release_id: first.row.previous_release_id,
    manifest: manifest === void 0 ? "" : JSON.stringify(manifest)
  });
  setOutput("hosts", JSON.stringify(rows));
  const summary2 = summary.addHeading(
    escapeHtml(
      `seisei-deploy ${s.mode}${s.stack ? ` ${s.stack}` : ""}${s.environment ? ` \u2192 ${s.environment}` : ""} on ${hosts.length} hosts`
    ),
    2
  ).addTable(
    summaryRows(rows).map(
      (row, i) => i === 0 ? row.map((data) => ({ data, header: true })) : row.map((c) => escapeHtml(c))
    )
  );
  if (problem) summary2.addRaw(`<p>${escapeHtml(problem)}</p>`, true);
  await writeOrSkip(summary2);
  if (problem) setFailed(safeText(problem));
  else info(`\u2705 ${s.mode} succeeded on ${hosts.length} hosts`);
}

// src/fleet/status.ts
async function statusOf(h, stack) {
  const root = h.session.config.server.root;
  const res = await h.session.runSync(["status", ...stack ? [stack] : [], "--root", root, "--json"]);
  return statusReport(res, h.name);
}
async function verifyFleet(hosts, s, m) {
  const note = s.runUrl ? `verified by ${s.runUrl}` : `verified by run ${s.runId || "(local)"}`;
  await eachHost(hosts, async (h) => {
    const out = new HostOut(h.name, false);
    const renderer = new EventRenderer(out);
    try {
      const args = verifyArgs(s.imageTag, note, s.actor, h.session.config.server.root, m.provenance);
      h.take(verifyResult(await h.session.runSync(args, m.text), renderer, s.imageTag, h.name));
    } catch (err) {
      Object.assign(h.row, { status: "failed", error: errText(err) });
    } finally {
      renderer.close();
      out.flush();
    }
  });
  const failed = hosts.filter((h) => h.row.status !== "success");
  return failed.length ? `verify failed on ${failed.map((h) => `${h.name}: ${h.row.error}`).join("; ")}` : "";
}
function liveOf(hosts, reports, stack) {
  return hosts.flatMap((h, i) => {
    if (!reports[i]) return [];
    const cur = currentOf(reports[i], stack);
    const str = (v) => typeof v === "string" ? v : "";
    return [
      {
        host: h.name,
        image_tag: str(cur.image_tag),
        image_digest: str(cur.image_digest),
        release_id: str(cur.release_id)
      }
    ];
  });
}
async function statusFleet(hosts, s) {
  const settled = await eachHost(hosts, (h) => statusOf(h, s.stack));
  const reports = settled.map((r) => r.status === "fulfilled" ? r.value : void 0);
  const problems = [];
  const stacks = new Set(s.stack ? [s.stack] : []);
  for (const [i, r] of settled.entries()) {
    const h = hosts[i];
    if (r.status === "rejected") {
      Object.assign(h.row, { status: "failed", error: errText(r.reason) });
      problems.push(`${h.name}: ${h.row.error}`);
      continue;
    }
    const drift = statusDrift(r.value);
    const o = r.value;
    for (const e of o.stacks ?? []) if (typeof e.stack === "string" && !s.stack) stacks.add(e.stack);
    const cur = s.stack ? currentOf(r.value, s.stack) : {};
    Object.assign(h.row, {
      status: drift.length ? "failed" : "success",
      release_id: typeof cur.release_id === "string" ? cur.release_id : "",
      previous_release_id: typeof cur.previous_release_id === "string" ? cur.previous_release_id : "",
      image_digest: typeof cur.image_digest === "string" ? cur.image_digest : "",
      error: drift.map((d) => `${d.stack}: ${d.message}`).join("; ")
    });
    if (drift.length) problems.push(`${h.name}: ${h.row.error}`);
  }
  for (const stack of stacks) {
    const msg = fleetDrift(stack, liveOf(hosts, reports, stack));
    if (msg) {
      problems.push(`drift between hosts: ${msg}`);
      for (const h of hosts) if (h.row.status === "success") h.row.status = "failed";
      for (const h of hosts) h.row.error = h.row.error ? `${h.row.error}; ${msg}` : msg;
    }
  }
  for (const h of hosts)
    info(safeText(`${h.name}: ${h.row.release_id || "nothing live"} (${h.row.status})`));
  return { problem: problems.join("\n"), reports };
}

// src/fleet/rollback.ts
function stackEntry(report, stack) {
  const o = report && typeof report === "object" ? report : {};
  const list = Array.isArray(o.stacks) ? o.stacks : [];
  const e = list.find((x) => x?.stack === stack) ?? {};
  const c = Array.isArray(e.rollback_candidates) ? e.rollback_candidates : [];
  return { candidates: c.map((x) => x.release_id).filter((x) => typeof x === "string") };
}
var whoRunsWhat = (hosts) => hosts.map((h) => `${h.name}: ${h.row.status}${h.row.release_id ? ` (${h.row.release_id})` : ""}`).join("; ");
async function rollbackFleet(hosts, s, signal) {
  const reports = await eachHost(hosts, (h) => statusOf(h, s.stack));
  const unread = failures(hosts, reports);
  if (unread.length) return `The fleet rollback stopped before any host changed: ${unread.join("; ")}`;
  const values = reports.map((r) => r.value);
  let target;
  try {
    target = fleetRollbackTarget(hosts.map((h, i) => ({ host: h.name, ...stackEntry(values[i], s.stack) })));
  } catch (err) {
    return `The fleet rollback stopped before any host changed: ${errText(err)}`;
  }
  info(
    safeText(
      `Rollback target: image tag ${target.tag} (${hosts.map((h, i) => `${h.name} \u2192 ${target.releases[i]}`).join(", ")})`
    )
  );
  const failed = await rollout(hosts, s.fleet, signal, (h, live) => {
    const request = {
      ...buildRollbackRequest(s, makeRunKey(s.runId, s.runAttempt)),
      to: target.releases[h.position - 1],
      fleet: h.fleet
    };
    return runInBatch(h, { request }, live);
  });
  if (!failed) return "";
  return `${failed.name} failed: ${failed.row.error || failed.row.status}. The fleet now runs: ${whoRunsWhat(hosts)}`;
}

// src/fleet/run.ts
async function runFleet(s, configs, manifest, opts) {
  const hosts = configs.map((c, i) => new FleetHost(i + 1, configs.length, c, opts, s.mode));
  let problem = "";
  let report = void 0;
  try {
    const runKey = makeRunKey(s.runId, s.runAttempt);
    const plan = s.mode === "deploy" ? { checkKey: `${runKey}-check`, runKey } : {};
    const unreachable = await connectAll(hosts, opts, plan);
    if (unreachable.length && s.mode !== "status")
      problem = `The fleet ${s.mode} stopped before any host changed: ${unreachable.join("; ")}`;
    else if (s.mode === "deploy") problem = await deployFleet(hosts, s, manifest, opts.signal, runKey);
    else if (s.mode === "rollback") problem = await rollbackFleet(hosts, s, opts.signal);
    else if (s.mode === "verify") problem = await verifyFleet(hosts, s, manifest);
    else {
      const up = hosts.filter((h) => h.row.status !== "failed");
      const st = await statusFleet(up, s);
      report = { hosts: hosts.map((h) => ({ host: h.name, report: st.reports[up.indexOf(h)] ?? null })) };
      problem = [unreachable.join("\n"), st.problem].filter(Boolean).join("\n");
    }
    if (s.mode !== "status") report = hosts[0].result?.manifest;
    await reportFleet(s, hosts, problem, report);
  } finally {
    await Promise.all(
      hosts.map(
        (h) => h.session.cleanup().catch((e) => warning(`${h.name}: cleanup: ${e.message}`))
      )
    );
    for (const h of hosts) h.session.close();
  }
}
export {
  runFleet
};
