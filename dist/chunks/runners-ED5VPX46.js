import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  runStatus,
  runVerify
} from "./chunk-5652NLTP.js";
import {
  runDeploy,
  runOnHost
} from "./chunk-D6KA7MU2.js";
import "./chunk-LP5VHNG3.js";
import "./chunk-KDAJAZ2B.js";
import "./chunk-5XLKRPSF.js";
import "./chunk-2HTZ3WDJ.js";
import "./chunk-JL5PL23L.js";
import "./chunk-3TX4BVXH.js";
import "./chunk-YJNYZRAZ.js";
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
