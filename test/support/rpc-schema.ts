// Checks JSON-RPC params and results against the Ethereum execution-apis OpenRPC spec
// (the YAML sources vendored in test/fixtures/execution-apis/src, see its README).
//
//   const r = validateResult('eth_getBlockByNumber', block);
//   assert.ok(r.valid, r.errors);
//
// How the spec is assembled (as upstream's tools/specgen does): every file in src/eth/ is a
// YAML list of OpenRPC method objects; every file in src/schemas/ is a YAML map whose
// top-level keys are schema names, merged into `components.schemas`; every file in
// src/error-groups/ is a map merged into `components.error-groups`. References are always
// `$ref: '#/components/schemas/<Name>'` (methods and schemas alike) and, in method `error-groups`
// lists, `$ref: '#/components/error-groups/<Name>'`. Loading fails on a duplicate name or a
// `$ref` that does not resolve.
//
// Validation uses Ajv's JSON Schema 2019-09 dialect (the dialect upstream's speccheck uses),
// strict mode off, so `title`/`description`/`name` are mere annotations, `$ref` siblings are
// annotations too (the spec only ever puts title/description next to a `$ref`), and `pattern`
// is an ECMAScript regex searched in the string (every spec pattern is anchored with ^...$).
//
// Two modes:
//  - default (practical): `oneOf` is read as `anyOf`, and `bytes` must have an even number of
//    hex digits. The spec's oneOfs are meant as tagged unions: their branches differ by JSON
//    type, by the transaction `type` pattern or by a required key, so reading them as anyOf
//    only changes the verdict for a value matching two branches. That happens for a correct
//    answer in one place that matters: `FilterResults` (eth_getLogs, eth_getFilterChanges,
//    eth_getFilterLogs) is oneOf[array of hash32, array of Log], and an empty array `[]`
//    matches both, so strict oneOf rejects "no logs". (Elsewhere: FilledTransaction lists both
//    4844-with-sidecar and plain 4844; an eth_simulateV1 AccountOverride with both `state` and
//    `stateDiff` matches both of its branches.) The spec's `bytes` (`^0x[0-9a-f]*$`) admits
//    odd-length strings like "0x123" that no client emits or accepts; this mode rejects them.
//  - `{ exact: true }`: the schemas exactly as written (strict oneOf, odd-length bytes pass).
//
// Error text: Ajv reports every failing branch of a union, so failures are re-explained by
// walking the schema with the value and keeping, at each failed union, only the closest branch
// (see explain()). One problem per line: `result/transactions/0/gasPrice must match pattern ...`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2019.js';

/** Where the spec's `src` folder is; override with CCEVM_EXECUTION_APIS. */
export const DEFAULT_SPEC_DIR =
  process.env['CCEVM_EXECUTION_APIS'] ?? fileURLToPath(new URL('../fixtures/execution-apis/src', import.meta.url));

export type JsonSchema = { [key: string]: unknown } | boolean;

export interface ContentDescriptor {
  name: string;
  /** OpenRPC default: false when the YAML leaves it out. */
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface ExamplePairing {
  name: string;
  params: { name: string; value: unknown }[];
  result?: { name: string; value: unknown };
}

export interface MethodSpec {
  name: string;
  summary?: string;
  /** The YAML file (relative to the spec dir) that defines the method. */
  file: string;
  params: ContentDescriptor[];
  result?: ContentDescriptor;
  examples: ExamplePairing[];
  /** The raw method object, as in the YAML. */
  raw: Record<string, unknown>;
}

export interface Spec {
  dir: string;
  methods: Map<string, MethodSpec>;
  /** components.schemas: every top-level key of every src/schemas/*.yaml. */
  schemas: Record<string, JsonSchema>;
  /** components.error-groups: every top-level key of every src/error-groups/*.yaml. */
  errorGroups: Record<string, unknown>;
  /** The assembled OpenRPC document (methods + components), refs left in place. */
  document: {
    openrpc: string;
    info: { title: string; version: string };
    methods: Record<string, unknown>[];
    components: { schemas: Record<string, JsonSchema>; 'error-groups': Record<string, unknown> };
  };
}

export interface ValidationResult {
  valid: boolean;
  /** Empty when valid; otherwise one problem per line, `<path> <message>`. */
  errors: string;
}

export interface ValidateOptions {
  /** Validate with the schemas exactly as written (strict oneOf; odd-length `bytes` allowed). */
  exact?: boolean;
  /** Spec directory; defaults to DEFAULT_SPEC_DIR. */
  dir?: string;
}

const SCHEMA_REF = '#/components/schemas/';
const ERROR_GROUP_REF = '#/components/error-groups/';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

function readYaml(path: string): unknown {
  return load(readFileSync(path, 'utf8'), { filename: path });
}

/** Every `$ref` string anywhere under `node`, with its JSON path. */
function collectRefs(node: unknown, path: string, out: { ref: string; path: string }[]): void {
  if (Array.isArray(node)) node.forEach((v, i) => collectRefs(v, `${path}/${i}`, out));
  else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push({ ref: v, path });
      else collectRefs(v, `${path}/${k}`, out);
    }
  }
}

/** Escape one JSON-pointer segment. */
const ptr = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function pointerGet(root: unknown, pointer: string): unknown {
  let node = root;
  for (const raw of pointer.split('/').filter((p) => p !== '')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isObject(node)) node = node[part];
    else return undefined;
  }
  return node;
}

function parseMethod(raw: unknown, file: string): MethodSpec {
  if (!isObject(raw) || typeof raw['name'] !== 'string') throw new Error(`${file}: a method without a name`);
  const name = raw['name'];
  const descriptor = (cd: unknown, where: string): ContentDescriptor => {
    if (!isObject(cd) || typeof cd['name'] !== 'string' || !('schema' in cd)) {
      throw new Error(`${file}: ${name} ${where}: not a content descriptor with name and schema`);
    }
    const out: ContentDescriptor = { name: cd['name'], required: cd['required'] === true, schema: cd['schema'] as JsonSchema };
    if (typeof cd['description'] === 'string') out.description = cd['description'];
    return out;
  };
  const params = Array.isArray(raw['params']) ? raw['params'].map((p, i) => descriptor(p, `param ${i}`)) : [];
  const examples: ExamplePairing[] = [];
  if (Array.isArray(raw['examples'])) {
    for (const ex of raw['examples']) {
      if (!isObject(ex)) continue;
      const pairing: ExamplePairing = {
        name: typeof ex['name'] === 'string' ? ex['name'] : '(unnamed)',
        params: Array.isArray(ex['params']) ? (ex['params'] as { name: string; value: unknown }[]) : [],
      };
      if (isObject(ex['result'])) pairing.result = ex['result'] as { name: string; value: unknown };
      examples.push(pairing);
    }
  }
  const spec: MethodSpec = { name, file, params, examples, raw };
  if (typeof raw['summary'] === 'string') spec.summary = raw['summary'];
  if (raw['result'] !== undefined) spec.result = descriptor(raw['result'], 'result');
  return spec;
}

const specCache = new Map<string, Spec>();

/** Parse and assemble the spec (cached per directory). Throws on duplicates or dangling `$ref`s. */
export function loadSpec(dir: string = DEFAULT_SPEC_DIR): Spec {
  const cached = specCache.get(dir);
  if (cached) return cached;

  const schemas: Record<string, JsonSchema> = {};
  const schemaFile: Record<string, string> = {};
  for (const f of yamlFiles(join(dir, 'schemas'))) {
    const doc = readYaml(join(dir, 'schemas', f));
    if (!isObject(doc)) throw new Error(`schemas/${f}: expected a map of schema names`);
    for (const [name, schema] of Object.entries(doc)) {
      if (name in schemas) throw new Error(`schema ${name} defined in both ${schemaFile[name]} and schemas/${f}`);
      schemas[name] = schema as JsonSchema;
      schemaFile[name] = `schemas/${f}`;
    }
  }

  const errorGroups: Record<string, unknown> = {};
  let errorGroupDir: string[] = [];
  try {
    errorGroupDir = yamlFiles(join(dir, 'error-groups'));
  } catch {
    errorGroupDir = [];
  }
  for (const f of errorGroupDir) {
    const doc = readYaml(join(dir, 'error-groups', f));
    if (!isObject(doc)) throw new Error(`error-groups/${f}: expected a map of group names`);
    for (const [name, group] of Object.entries(doc)) {
      if (name in errorGroups) throw new Error(`error group ${name} defined twice (error-groups/${f})`);
      errorGroups[name] = group;
    }
  }

  const methods = new Map<string, MethodSpec>();
  const rawMethods: Record<string, unknown>[] = [];
  for (const f of yamlFiles(join(dir, 'eth'))) {
    const doc = readYaml(join(dir, 'eth', f));
    if (!Array.isArray(doc)) throw new Error(`eth/${f}: expected a list of methods`);
    for (const raw of doc) {
      const m = parseMethod(raw, `eth/${f}`);
      if (methods.has(m.name)) throw new Error(`method ${m.name} defined in both ${methods.get(m.name)!.file} and eth/${f}`);
      methods.set(m.name, m);
      rawMethods.push(raw as Record<string, unknown>);
    }
  }

  const document: Spec['document'] = {
    openrpc: '1.2.4',
    info: { title: 'Ethereum JSON-RPC Specification', version: '0.0.0' },
    methods: rawMethods,
    components: { schemas, 'error-groups': errorGroups },
  };

  const refs: { ref: string; path: string }[] = [];
  collectRefs(document, '', refs);
  const dangling = refs.filter(({ ref }) => {
    if (ref.startsWith(SCHEMA_REF) || ref.startsWith(ERROR_GROUP_REF)) return pointerGet(document, ref.slice(1)) === undefined;
    return true;
  });
  if (dangling.length > 0) {
    throw new Error(`unresolved $ref(s):\n${dangling.map((d) => `  ${d.ref} at ${d.path}`).join('\n')}`);
  }

  const spec: Spec = { dir, methods, schemas, errorGroups, document };
  specCache.set(dir, spec);
  return spec;
}

/** Every method the spec defines, sorted. */
export function methodNames(dir: string = DEFAULT_SPEC_DIR): string[] {
  return [...loadSpec(dir).methods.keys()].sort();
}

export function getMethod(method: string, dir: string = DEFAULT_SPEC_DIR): MethodSpec | undefined {
  return loadSpec(dir).methods.get(method);
}

/**
 * A deep copy of `schema` with every `#/components/schemas/...` reference replaced by the schema
 * it names (siblings of `$ref`, which are only titles/descriptions in this spec, win on conflict,
 * as in upstream's specgen). A reference back into a schema being expanded is left as `$ref`.
 */
export function dereference(schema: unknown, dir: string = DEFAULT_SPEC_DIR): unknown {
  const spec = loadSpec(dir);
  const visiting = new Set<string>();
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObject(node)) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) if (k !== '$ref') out[k] = walk(v);
    const ref = node['$ref'];
    if (typeof ref === 'string' && ref.startsWith(SCHEMA_REF)) {
      if (visiting.has(ref)) return { ...out, $ref: ref };
      visiting.add(ref);
      const base = walk(pointerGet(spec.document, ref.slice(1)));
      visiting.delete(ref);
      return isObject(base) ? { ...base, ...out } : base;
    }
    if (typeof ref === 'string') out['$ref'] = ref;
    return out;
  };
  return walk(schema);
}

// ---------------------------------------------------------------------------------------------
// Validation

const ROOT_ID = 'https://ccevm.invalid/execution-apis/openrpc.json';
const EVEN_BYTES_PATTERN = '^0x([0-9a-f]{2})*$';

/** The practical-mode rewrite: oneOf -> anyOf everywhere (schemas only, not example data). */
function relaxOneOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(relaxOneOf);
  if (!isObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'oneOf' && Array.isArray(v) && !('anyOf' in node)) out['anyOf'] = relaxOneOf(v);
    else out[k] = relaxOneOf(v);
  }
  return out;
}

interface Validators {
  ajv: Ajv2019;
  /** The document handed to Ajv (after the practical-mode rewrite). */
  root: Record<string, unknown>;
  cache: Map<string, ValidateFunction>;
  shallow: Map<string, ValidateFunction | undefined>;
  shallowByContent: Map<string, ValidateFunction>;
}

const validatorCache = new Map<string, Validators>();

function validators(opts: ValidateOptions): Validators {
  const dir = opts.dir ?? DEFAULT_SPEC_DIR;
  const exact = opts.exact === true;
  const key = `${exact ? 'exact' : 'practical'}\0${dir}`;
  const cached = validatorCache.get(key);
  if (cached) return cached;

  const spec = loadSpec(dir);
  let schemas: Record<string, unknown> = spec.schemas;
  const methods: Record<string, { params: unknown[]; result: unknown }> = {};
  for (const m of spec.methods.values()) {
    methods[m.name] = { params: m.params.map((p) => p.schema), result: m.result?.schema ?? true };
  }
  let methodSchemas: unknown = methods;
  if (!exact) {
    schemas = relaxOneOf(schemas) as Record<string, unknown>;
    methodSchemas = relaxOneOf(methods);
    const bytes = schemas['bytes'];
    if (isObject(bytes)) schemas['bytes'] = { ...bytes, pattern: EVEN_BYTES_PATTERN };
  }

  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false, inlineRefs: false, code: { optimize: false } });
  // One schema resource: every `#/components/schemas/...` ref resolves against this document,
  // and each method's param/result schema is reached by JSON pointer under #/methods.
  const root = { $id: ROOT_ID, components: { schemas }, methods: methodSchemas };
  ajv.addSchema(root);
  const v: Validators = { ajv, root, cache: new Map(), shallow: new Map(), shallowByContent: new Map() };
  validatorCache.set(key, v);
  return v;
}

/** Ajv's validate functions are type guards; calling them directly would narrow `unknown` to never. */
const passes = (fn: ValidateFunction, value: unknown): boolean => fn(value) === true;

function validatorAt(v: Validators, pointer: string): ValidateFunction {
  // A node that is only a `$ref` (plus annotations) shares the validator of its target, so the
  // many methods answering `uint`, `hash32`, `FilterResults`, ... compile it once.
  for (let i = 0; i < 32; i++) {
    const node = pointerGet(v.root, pointer);
    if (!isObject(node) || typeof node['$ref'] !== 'string' || !node['$ref'].startsWith('#')) break;
    if (Object.keys(node).some((k) => k !== '$ref' && !ANNOTATIONS.has(k))) break;
    pointer = node['$ref'].slice(1);
  }
  let fn = v.cache.get(pointer);
  if (!fn) {
    fn = v.ajv.getSchema(`${ROOT_ID}#${pointer}`);
    if (!fn) throw new Error(`no schema at ${pointer}`);
    v.cache.set(pointer, fn);
  }
  return fn;
}

// --- Error explanation ------------------------------------------------------------------------
// Ajv reports the failures of every branch of a failed anyOf/oneOf, so a legacy transaction with
// one bad field would also be blamed for lacking maxFeePerGas, authorizationList, ... (the other
// four variants). So once Ajv has said "invalid", walk the schema alongside the value and, at each
// union that no branch satisfies, report only the closest branch (fewest problems; a branch of
// the wrong JSON type or with a mismatching `type` discriminator field counts as far away).
// Each schema node's own keywords (type, pattern, required, additionalProperties, enum, ...)
// are checked by a small Ajv validator of that node alone; its sub-schemas are walked here.

interface Problem {
  path: string;
  keyword: string;
  message: string;
}

const ANNOTATIONS = new Set(['title', 'description', 'name', 'examples', 'default', '$comment']);

/** Absolute refs, so a schema fragment compiled on its own still resolves into the spec. */
function absoluteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(absoluteRefs);
  if (!isObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(node)) {
    out[k] = k === '$ref' && typeof val === 'string' && val.startsWith('#') ? `${ROOT_ID}${val}` : absoluteRefs(val);
  }
  return out;
}

/**
 * The node's own keywords: without $ref/anyOf/oneOf/allOf/items(object) and annotations, with
 * `properties` and an `additionalProperties` schema reduced to `true` (they are walked by
 * explain). Undefined when nothing is left to check.
 */
function shallowAt(v: Validators, pointer: string, node: Record<string, unknown>): ValidateFunction | undefined {
  if (v.shallow.has(pointer)) return v.shallow.get(pointer);
  const own: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(node)) {
    if (ANNOTATIONS.has(k) || k === '$ref' || k === 'anyOf' || k === 'oneOf' || k === 'allOf') continue;
    if (k === 'items' && isObject(val)) continue;
    if (k === 'properties' && isObject(val)) own[k] = Object.fromEntries(Object.keys(val).map((p) => [p, true]));
    else if (k === 'additionalProperties' && isObject(val)) own[k] = true;
    else own[k] = absoluteRefs(val);
  }
  let fn: ValidateFunction | undefined;
  if (Object.keys(own).length > 0) {
    const key = JSON.stringify(own);
    fn = v.shallowByContent.get(key);
    if (!fn) {
      fn = v.ajv.compile(own);
      v.shallowByContent.set(key, fn);
    }
  }
  v.shallow.set(pointer, fn);
  return fn;
}

function ajvProblems(errors: ErrorObject[] | null | undefined, path: string): Problem[] {
  return (errors ?? []).map((e) => {
    const params = e.params as Record<string, unknown>;
    let detail = '';
    if (e.keyword === 'additionalProperties') detail = ` (${String(params['additionalProperty'])})`;
    else if (e.keyword === 'enum') detail = ` ${JSON.stringify(params['allowedValues'])}`;
    return { path: path + e.instancePath, keyword: e.keyword, message: (e.message ?? e.keyword) + detail };
  });
}

function resolveNode(v: Validators, node: unknown): unknown {
  let n = node;
  for (let i = 0; i < 32 && isObject(n) && typeof n['$ref'] === 'string' && n['$ref'].startsWith('#'); i++) {
    n = pointerGet(v.root, n['$ref'].slice(1));
  }
  return n;
}

function branchLabel(v: Validators, node: unknown): string {
  if (!isObject(node)) return String(node);
  if (typeof node['title'] === 'string') return node['title'];
  const resolved = resolveNode(v, node);
  if (isObject(resolved) && typeof resolved['title'] === 'string') return resolved['title'];
  if (typeof node['$ref'] === 'string') return node['$ref'].split('/').pop()!;
  return isObject(resolved) && resolved['type'] !== undefined ? String(resolved['type']) : 'schema';
}

/** How far a branch is from matching: problem count, heavily weighted for wrong JSON types. */
function distance(problems: Problem[], path: string): number {
  let d = problems.length;
  for (const p of problems) {
    if (p.keyword === 'type') d += p.path === path ? 1000 : 10;
    if (p.path === `${path}/type`) d += 100; // the transaction-type discriminator
  }
  return d;
}

/** The problems of `value` against the schema at `pointer`; empty when it is valid. */
function explain(v: Validators, pointer: string, value: unknown, path: string, depth = 0): Problem[] {
  const node = pointerGet(v.root, pointer);
  if (node === false) return [{ path, keyword: 'false', message: 'is not allowed' }];
  if (!isObject(node) || depth > 256) return [];
  const ref = node['$ref'];
  if (typeof ref === 'string' && ref.startsWith('#')) return explain(v, ref.slice(1), value, path, depth + 1);

  const out: Problem[] = [];
  const own = shallowAt(v, pointer, node);
  if (own && !passes(own, value)) out.push(...ajvProblems(own.errors, path));

  for (const kw of ['anyOf', 'oneOf'] as const) {
    const branches = node[kw];
    if (!Array.isArray(branches)) continue;
    const results = branches.map((_, i) => explain(v, `${pointer}/${kw}/${i}`, value, path, depth + 1));
    const passing = results.filter((r) => r.length === 0).length;
    const labels = branches.map((b) => branchLabel(v, b));
    if (passing === 0) {
      let best = 0;
      results.forEach((r, i) => {
        if (distance(r, path) < distance(results[best]!, path)) best = i;
      });
      out.push({ path, keyword: kw, message: `matches none of ${kw} [${labels.join(' | ')}]; closest: ${labels[best]}` });
      out.push(...results[best]!);
    } else if (kw === 'oneOf' && passing > 1) {
      const which = labels.filter((_, i) => results[i]!.length === 0);
      out.push({ path, keyword: kw, message: `must match exactly one schema in oneOf but matches ${passing}: [${which.join(' | ')}]` });
    }
  }
  if (Array.isArray(node['allOf'])) {
    node['allOf'].forEach((_, i) => out.push(...explain(v, `${pointer}/allOf/${i}`, value, path, depth + 1)));
  }
  if (isObject(value)) {
    const props = isObject(node['properties']) ? node['properties'] : {};
    for (const [k, val] of Object.entries(value)) {
      if (k in props) out.push(...explain(v, `${pointer}/properties/${ptr(k)}`, val, `${path}/${k}`, depth + 1));
      else if (isObject(node['additionalProperties'])) {
        out.push(...explain(v, `${pointer}/additionalProperties`, val, `${path}/${k}`, depth + 1));
      }
    }
  }
  if (Array.isArray(value) && isObject(node['items'])) {
    value.forEach((item, i) => out.push(...explain(v, `${pointer}/items`, item, `${path}/${i}`, depth + 1)));
  }
  return out;
}

const MAX_ERROR_LINES = 40;

function formatProblems(problems: Problem[]): string {
  const lines = [...new Set(problems.map((p) => `${p.path} ${p.message}`))];
  if (lines.length > MAX_ERROR_LINES) {
    return [...lines.slice(0, MAX_ERROR_LINES), `... and ${lines.length - MAX_ERROR_LINES} more`].join('\n');
  }
  return lines.join('\n');
}

function check(v: Validators, pointer: string, value: unknown, label: string): ValidationResult {
  const fn = validatorAt(v, pointer);
  if (passes(fn, value)) return { valid: true, errors: '' };
  const problems = explain(v, pointer, value, label);
  // Should the walk ever disagree with Ajv, Ajv's own (noisier) report is still a report.
  return { valid: false, errors: formatProblems(problems.length > 0 ? problems : ajvProblems(fn.errors, label)) };
}

function requireMethod(method: string, dir: string): MethodSpec {
  const m = loadSpec(dir).methods.get(method);
  if (!m) throw new Error(`${method} is not in the execution-apis spec (see methodNames())`);
  return m;
}

/**
 * Check a JSON-RPC `result` against the method's `result.schema`. Throws if the method is not in
 * the spec (web3_clientVersion and net_listening are not). A method whose result has no schema
 * accepts anything.
 */
export function validateResult(method: string, result: unknown, opts: ValidateOptions = {}): ValidationResult {
  const dir = opts.dir ?? DEFAULT_SPEC_DIR;
  requireMethod(method, dir);
  return check(validators(opts), `/methods/${ptr(method)}/result`, result, 'result');
}

/**
 * Check by-position JSON-RPC `params` (an array; `undefined` means none) against the method's
 * params: no more than the spec lists, every `required: true` one present, each present value
 * valid against its schema. An explicit `null` is validated like any value (the spec's
 * schemas do not admit null for an omitted optional parameter).
 */
export function validateParams(method: string, params: unknown, opts: ValidateOptions = {}): ValidationResult {
  const dir = opts.dir ?? DEFAULT_SPEC_DIR;
  const m = requireMethod(method, dir);
  const values = params === undefined || params === null ? [] : params;
  if (!Array.isArray(values)) return { valid: false, errors: 'params must be an array (by-position)' };
  const problems: string[] = [];
  if (values.length > m.params.length) {
    problems.push(`params has ${values.length} entries; ${method} takes at most ${m.params.length}`);
  }
  const v = validators(opts);
  m.params.forEach((p, i) => {
    if (i >= values.length) {
      if (p.required) problems.push(`params/${i} (${p.name}) is required`);
      return;
    }
    const r = check(v, `/methods/${ptr(method)}/params/${i}`, values[i], `params/${i}`);
    if (!r.valid) problems.push(r.errors);
  });
  return { valid: problems.length === 0, errors: problems.join('\n') };
}

export interface ExampleFailure {
  method: string;
  example: string;
  /** `result` or `params`. */
  part: 'result' | 'params';
  errors: string;
}

/** Validate every example in the spec against its own method's schemas; returns the failures. */
export function checkSpecExamples(opts: ValidateOptions = {}): ExampleFailure[] {
  const failures: ExampleFailure[] = [];
  for (const m of loadSpec(opts.dir ?? DEFAULT_SPEC_DIR).methods.values()) {
    for (const ex of m.examples) {
      const p = validateParams(
        m.name,
        ex.params.map((x) => x.value),
        opts,
      );
      if (!p.valid) failures.push({ method: m.name, example: ex.name, part: 'params', errors: p.errors });
      if (ex.result) {
        const r = validateResult(m.name, ex.result.value, opts);
        if (!r.valid) failures.push({ method: m.name, example: ex.name, part: 'result', errors: r.errors });
      }
    }
  }
  return failures;
}
