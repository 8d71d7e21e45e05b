import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  precheckDeploy,
  runDeploy
} from "./chunk-5VZGUIHB.js";
import "./chunk-G6ODDHRI.js";
import "./chunk-KDAJAZ2B.js";
import "./chunk-5XLKRPSF.js";
import "./chunk-ZO46HBSK.js";
import "./chunk-6YY7MH7C.js";
import "./chunk-3TX4BVXH.js";
import "./chunk-YJNYZRAZ.js";
import "./chunk-B54QJ254.js";
export {
  precheckDeploy,
  runDeploy
};
