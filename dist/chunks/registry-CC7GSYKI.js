import { createRequire as __sregistryCreateRequire } from 'node:module';
const require = __sregistryCreateRequire(import.meta.url);
import{a,b}from"./chunk-BB33FOEI.js";import"./chunk-TOOJMSOX.js";import"./chunk-LXIZ7SLI.js";import"./chunk-RGOYSU6R.js";export{a as Registry,b as registryOptionsFromEnv};
