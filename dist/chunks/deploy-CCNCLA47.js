import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  STAGED_ON_SERVER,
  precheckDeploy,
  runDeploy,
  runInputs
} from "./chunk-ZPOLOQLO.js";
import "./chunk-45WJR45V.js";
import "./chunk-VITA26D3.js";
import "./chunk-5XLKRPSF.js";
import "./chunk-2HTZ3WDJ.js";
import "./chunk-JL5PL23L.js";
import "./chunk-RR2G3LBB.js";
import "./chunk-B54QJ254.js";
export {
  STAGED_ON_SERVER,
  precheckDeploy,
  runDeploy,
  runInputs
};
