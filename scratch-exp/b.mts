import { parseSizeCode } from '/work/main/src/domain/size-code.ts';
for (const c of ['HR096x096','HR96X96','hr96x96','HR96x96\n','HR48X48']) { try { console.log(c, parseSizeCode(c)); } catch (e: any) { console.log(c, 'ERR', e.message); } }
