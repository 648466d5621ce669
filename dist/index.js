import { createRequire as __sregistryCreateRequire } from 'node:module';
const require = __sregistryCreateRequire(import.meta.url);
import"./chunk-ULDUG4FC.js";var e={major:22,minor:19},r="NODE_VERSION";function d(n){let[o=0,i=0]=n.replace(/^v/,"").split(".").map(Number);return o>e.major||o===e.major&&i>=e.minor}function s(n=process.versions.node){if(!d(n))return`sregistry-globus needs Node.js ${e.major}.${e.minor} or newer (it uses node:sqlite), but this is Node.js ${n.replace(/^v/,"")}: install Node.js 24 (https://nodejs.org/en/download, or nvm install 24) and run it again`}var t=s();t&&(process.stdout.write(`::error::${t} [${r}]
`),process.exit(2));process.setSourceMapsEnabled(!0);var{run:c}=await import("./main-MXK6EEVL.js");await c();process.exit(process.exitCode??0);
//# sourceMappingURL=index.js.map
