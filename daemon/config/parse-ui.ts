// spec.ui: the web status page (issue 20; daemon/ui/README.md). Absent: the page is on, open on a
// loopback listener and refused (403, saying why) beyond it until tokenFrom or tokenReview is set.
import type { UiSpec } from '../ui/types.js';
import { readSecretRef, type ReadCtx } from './parse-refs.js';
import type { Obj } from './fields.js';

function names(o: Obj, field: string): string[] {
  const list = o.list(field) ?? [];
  const out: string[] = [];
  list.forEach((v, i) => {
    if (typeof v === 'string' && v !== '') out.push(v);
    else o.issues.add(`${o.at(field)}[${i}]`, 'must be a non-empty string');
  });
  return out;
}

export function readUi(ctx: ReadCtx, spec: Obj): UiSpec | undefined {
  const o = spec.obj('ui', 'Ui');
  if (!o) return undefined;
  const tokenFrom = readSecretRef(ctx, o, 'tokenFrom', false);
  const review = o.obj('tokenReview', 'UiTokenReview');
  return {
    enabled: o.bool('enabled', true),
    ...(tokenFrom ? { tokenFrom } : {}),
    ...(review ? { tokenReview: { users: names(review, 'users'), groups: names(review, 'groups') } } : {}),
  };
}
