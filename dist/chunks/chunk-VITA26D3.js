import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  setOutput
} from "./chunk-RR2G3LBB.js";

// src/report/outputs.ts
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
function setStatus(status) {
  setOutput("status", status);
}
function setOutputs(o) {
  for (const name of OUTPUT_NAMES) if (name !== "status") setOutput(name, o[name]);
  setStatus(o.status);
}
function outputStatusOf(err) {
  const s = err?.outputStatus;
  return typeof s === "string" ? s : "failed";
}

export {
  outputsOf,
  setStatus,
  setOutputs,
  outputStatusOf
};
