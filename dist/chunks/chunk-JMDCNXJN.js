import { createRequire as __sregistryCreateRequire } from 'node:module';
const require = __sregistryCreateRequire(import.meta.url);
import{posix as o}from"node:path";var n="https://app.globus.org/file-manager";function p(t){let e=`${o.dirname(t.path)}/`.replace(/\/+$/,"/");return`${n}?origin_id=${encodeURIComponent(t.endpoint)}&origin_path=${encodeURIComponent(e)}`}var i=t=>t.httpsUrl??p(t);export{p as a,i as b};
