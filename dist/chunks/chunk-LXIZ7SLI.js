import { createRequire as __sregistryCreateRequire } from 'node:module';
const require = __sregistryCreateRequire(import.meta.url);
var r=["B","KiB","MiB","GiB","TiB"];function n(i){if(!Number.isFinite(i)||i<0)return"?";let t=i,e=0;for(;t>=1024&&e<r.length-1;)t/=1024,e++;return e===0?`${t} B`:`${t.toFixed(1)} ${r[e]}`}export{n as a};
