import { createRequire as __sregistryCreateRequire } from 'node:module';
const require = __sregistryCreateRequire(import.meta.url);
function o(r){return`${(r/1e3).toFixed(1)} s`}var e=r=>r.slice(0,12);export{o as a,e as b};
