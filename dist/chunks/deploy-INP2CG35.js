import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  STAGED_ON_SERVER,
  precheckDeploy,
  runDeploy,
  runInputs
} from "./chunk-ISK7JXSB.js";
import "./chunk-24WOHV2D.js";
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
