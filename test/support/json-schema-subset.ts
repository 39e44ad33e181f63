// A validator for the subset of JSON Schema 2020-12 that daemonconfig.schema.json uses (no ajv here).
// Used by daemon/config/schema.test.ts to check the published schema against the example and against the validator.

export type Schema = { [k: string]: unknown };

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      throw new Error(`schema-subset: unsupported type ${t}`);
  }
}

const SUPPORTED = new Set([
  '$schema',
  '$id',
  '$ref',
  '$defs',
  'title',
  'description',
  'default',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'oneOf',
  'anyOf',
  'not',
]);

/** Error paths (JSON-pointer-ish) where `value` violates `schema`; empty when valid. */
export function validate(root: Schema, value: unknown, schema: Schema = root, path = ''): string[] {
  for (const k of Object.keys(schema)) if (!SUPPORTED.has(k)) throw new Error(`schema-subset: unsupported keyword ${k}`);
  const errs: string[] = [];
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/$defs/', '');
    const defs = root.$defs as Record<string, Schema>;
    const target = defs[name];
    if (!target) throw new Error(`schema-subset: unresolved ${schema.$ref}`);
    errs.push(...validate(root, value, target, path));
  }
  if (typeof schema.type === 'string' && !typeOk(schema.type, value)) return [...errs, `${path}: not ${schema.type}`];
  if ('const' in schema && value !== schema.const) errs.push(`${path}: not const`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errs.push(`${path}: not in enum`);
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) errs.push(`${path}: pattern`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errs.push(`${path}: minLength`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errs.push(`${path}: maxLength`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errs.push(`${path}: minimum`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errs.push(`${path}: maximum`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errs.push(`${path}: minItems`);
    if (schema.items) value.forEach((v, i) => errs.push(...validate(root, v, schema.items as Schema, `${path}/${i}`)));
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errs.push(`${path}/${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const p = props[k];
      if (p) errs.push(...validate(root, v, p, `${path}/${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}/${k}: additional property`);
      else if (typeof schema.additionalProperties === 'object')
        errs.push(...validate(root, v, schema.additionalProperties as Schema, `${path}/${k}`));
    }
  }
  if (Array.isArray(schema.oneOf)) {
    const n = (schema.oneOf as Schema[]).filter((s) => validate(root, value, s, path).length === 0).length;
    if (n !== 1) errs.push(`${path}: oneOf matched ${n}`);
  }
  if (Array.isArray(schema.anyOf) && !(schema.anyOf as Schema[]).some((s) => validate(root, value, s, path).length === 0)) {
    errs.push(`${path}: anyOf matched none`);
  }
  if (typeof schema.not === 'object' && schema.not !== null && validate(root, value, schema.not as Schema, path).length === 0) {
    errs.push(`${path}: matches not`);
  }
  return errs;
}
