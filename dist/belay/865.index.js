import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
const a=865,h=[865],d={2865:((i,c,o)=>{o.r(c),o.d(c,{githubCache:()=>r});var e=o(7131);const r={async restore(t,n,s){if(e.w3())return e.P3(t,n,s)},async save(t,n){if(!e.w3())throw new Error("no Actions cache service in this job");if(await e.Io(t,n)===-1)throw new Error("the cache service did not keep it, see above")}}})};export{a as id,h as ids,d as modules};
