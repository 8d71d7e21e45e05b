import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  STAGED_ON_SERVER,
  precheckDeploy,
  runDeploy,
  runInputs
} from "./chunk-D6KA7MU2.js";
import "./chunk-LP5VHNG3.js";
import "./chunk-KDAJAZ2B.js";
import "./chunk-5XLKRPSF.js";
import "./chunk-2HTZ3WDJ.js";
import "./chunk-JL5PL23L.js";
import "./chunk-3TX4BVXH.js";
import "./chunk-YJNYZRAZ.js";
import "./chunk-B54QJ254.js";
export {
  STAGED_ON_SERVER,
  precheckDeploy,
  runDeploy,
  runInputs
};
