import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  RemoteError,
  escapeHtml,
  parseEventLine,
  reportResult,
  summaryContext,
  writeOrSkip
} from "./chunk-ISK7JXSB.js";
import {
  describeProvenance
} from "./chunk-24WOHV2D.js";
import {
  setOutputs
} from "./chunk-VITA26D3.js";
import {
  safeText
} from "./chunk-5XLKRPSF.js";
import {
  endGroup,
  info,
  setFailed,
  startGroup,
  summary,
  warning
} from "./chunk-RR2G3LBB.js";

// src/report/status.ts
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
      [
        "Stack",
        "Environment",
        "Live release",
        "Image digest",
        "Deployed",
        "Actor",
        "Provenance",
        "Consistent"
      ].map((h) => ({ data: h, header: true })),
      ...stacks.map((e) => {
        const m = e.manifest ?? {};
        return [
          e.stack,
          m.env,
          e.live_release ?? m.release_id,
          m.image_digest,
          m.deployed_at_utc,
          m.actor,
          describeProvenance(m.provenance),
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
  await writeOrSkip(s);
}

// src/modes/status.ts
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
async function runStatus({ s, host, upload }) {
  await upload.sendInGroup();
  const hostName = host.target.host;
  const root = host.config.server.root;
  const res = await host.runSync(["status", ...s.stack ? [s.stack] : [], "--root", root, "--json"]);
  const report = statusReport(res, hostName);
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
  await writeStatusSummary(report, hostName);
  const msg = drift.length ? driftMessage(hostName, drift) : "status";
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
}

// src/modes/verify.ts
function readVerifyOutput(stdout, renderer) {
  const docs = [];
  const asObject = (text) => {
    const v = JSON.parse(text);
    return v && typeof v === "object" ? v : void 0;
  };
  for (const line of stdout.split("\n")) {
    const e = parseEventLine(line);
    if (e) renderer.handle(e, line);
    else if (line.trim()) {
      try {
        const doc = asObject(line);
        if (doc) docs.push(doc);
        else renderer.handle(void 0, line);
      } catch {
        renderer.handle(void 0, line);
      }
    }
  }
  if (!docs.length && stdout.trim()) {
    try {
      const doc = asObject(stdout);
      if (doc) docs.push(doc);
    } catch {
    }
  }
  return docs;
}
function verifyResult(res, renderer, tag, hostName) {
  const docs = readVerifyOutput(res.stdout, renderer);
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
function verifyArgs(tag, note, actor, root, provenance) {
  const args = ["verify", tag, "--digest-file", "-", "--note", note];
  if (actor) args.push(`--actor=${actor}`);
  if (provenance) args.push(`--provenance=${JSON.stringify(provenance)}`);
  args.push("--root", root, "--json");
  return args;
}
async function runVerify({ s, host, renderer, manifest, upload }) {
  await upload.sendInGroup();
  const note = s.runUrl ? `verified by ${s.runUrl}` : `verified by run ${s.runId || "(local)"}`;
  const res = await host.runSync(
    verifyArgs(s.imageTag, note, s.actor, host.config.server.root, manifest.provenance),
    manifest.text
  );
  const result = verifyResult(res, renderer, s.imageTag, host.target.host);
  await reportResult(result, summaryContext(s, host), renderer);
  return result;
}

export {
  statusDrift,
  statusReport,
  currentOf,
  runStatus,
  verifyResult,
  verifyArgs,
  runVerify
};
