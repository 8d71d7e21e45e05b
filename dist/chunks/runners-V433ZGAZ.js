import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  runStatus,
  runVerify
} from "./chunk-F2E54YE7.js";
import {
  runDeploy,
  runOnHost
} from "./chunk-ISK7JXSB.js";
import "./chunk-24WOHV2D.js";
import "./chunk-VITA26D3.js";
import "./chunk-5XLKRPSF.js";
import "./chunk-2HTZ3WDJ.js";
import "./chunk-JL5PL23L.js";
import "./chunk-RR2G3LBB.js";
import "./chunk-B54QJ254.js";

// src/modes/runners.ts
var RUNNERS = {
  deploy: runDeploy,
  rollback: runDeploy,
  verify: runVerify,
  status: runStatus
};
function runMode(s, config, manifest, opts) {
  if (s.mode === "manifest") throw new Error("internal: mode manifest runs on no host");
  return runOnHost(RUNNERS[s.mode], s, config, manifest, opts);
}
export {
  runMode
};
