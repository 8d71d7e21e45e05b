import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  getSettings
} from "./chunks/chunk-OJ2C3ICB.js";
import {
  haveStatus,
  setStatus
} from "./chunks/chunk-KXNCHVPW.js";
import "./chunks/chunk-F2Z5YPSB.js";
import {
  ExitCode,
  group,
  info,
  setFailed,
  warning
} from "./chunks/chunk-3TX4BVXH.js";
import "./chunks/chunk-YJNYZRAZ.js";
import "./chunks/chunk-B54QJ254.js";

// src/main.ts
function describe(s) {
  info(`mode: ${s.mode}`);
  if (s.stack) info(`stack: ${s.stack}`);
  if (s.environment) info(`environment: ${s.environment}`);
  if (s.imageTag) info(`image_tag: ${s.imageTag}`);
  const t = s.target;
  if (!t) return s;
  info(
    `host: ${t.username}@${t.host}:${t.port} (${t.hostKeys.length} pinned host key${t.hostKeys.length === 1 ? "" : "s"})`
  );
  info(
    `server: root ${s.remote.root}, source ${s.remote.source}, node ${s.remote.node}, sudo ${s.remote.sudo}`
  );
  if (s.breakGlass)
    warning(`break_glass: the verification gate is bypassed. Reason: ${s.breakGlassReason}`);
  return s;
}
async function provenanceOf(s, m) {
  const { checkProvenance, githubReads } = await import("./chunks/gate-7ARKFYJR.js");
  const repo = s.digests.repository;
  info(`provenance: ${s.provenance.mode}`);
  return checkProvenance(s, m, githubReads(s.digests.token, repo?.owner ?? "", repo?.repo ?? ""));
}
async function run() {
  const cancel = new AbortController();
  const onSignal = (sig) => {
    if (cancel.signal.aborted) return;
    warning(
      `Received ${sig}: the job is being cancelled. A run already started on the server is not stopped.`
    );
    cancel.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    const settings = await group("Inputs", async () => describe(getSettings()));
    if (settings.manifest) {
      const m = settings.manifest;
      const { runManifestMode } = await import("./chunks/manifest-mode-QLWWQKGX.js");
      await group(
        "Digest manifest",
        () => runManifestMode({
          imageTag: settings.imageTag,
          artifact: settings.digests.artifact,
          token: settings.digests.token,
          ...m
        })
      );
      return;
    }
    const stopIfCancelled = () => {
      if (cancel.signal.aborted) throw new Error("The job was cancelled before anything ran on the server.");
    };
    const { needsManifest, precheckDeploy, runOnHost } = await import("./chunks/modes-XVTOWX2L.js");
    let manifest;
    if (needsManifest(settings.mode)) {
      manifest = await group("Digest manifest", async () => {
        const { getDigestManifest } = await import("./chunks/digests-ZIVX4FWL.js");
        const m = await getDigestManifest(settings.digests, settings.imageTag);
        info(
          `Manifest from ${m.source}: commit ${m.manifest.git_sha}, built ${m.manifest.built_at_utc}`
        );
        if (settings.mode === "deploy") precheckDeploy(settings, m);
        if (settings.provenance.mode !== "off") m.provenance = await provenanceOf(settings, m.manifest);
        return m;
      });
    }
    stopIfCancelled();
    await runOnHost(settings, settings.target, manifest, { signal: cancel.signal });
  } catch (err) {
    if (!haveStatus()) setStatus("failed");
    setFailed(err instanceof Error ? err.message : String(err));
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    if (cancel.signal.aborted) process.exit(process.exitCode ?? ExitCode.Failure);
  }
}

// src/index.ts
await run();
