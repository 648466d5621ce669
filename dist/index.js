import { createRequire as __sregistryCreateRequire } from 'node:module';
const require = __sregistryCreateRequire(import.meta.url);
import"./chunk-ULDUG4FC.js";var o={major:22,minor:19},n="NODE_VERSION";function c(e){let[r=0,i=0]=e.replace(/^v/,"").split(".").map(Number);return r>o.major||r===o.major&&i>=o.minor}function s(e=process.versions.node){if(!c(e))return`sregistry-globus needs Node.js ${o.major}.${o.minor} or newer (it uses node:sqlite), but this is Node.js ${e.replace(/^v/,"")}: install Node.js 24 (https://nodejs.org/en/download, or nvm install 24) and run it again`}var t=s();t&&(process.stdout.write(`::error::${t} [${n}]
`),process.exit(2));process.setSourceMapsEnabled(!0);var{run:d}=await import("./main-HYBLPW67.js");await d();process.exit(process.exitCode??0);
//# sourceMappingURL=index.js.map
