/**
 * Validation of JSON request bodies against an Avro schema, derived by walking the schema (no
 * hand-written DTOs): the same `.avsc` that the registry and every consumer use decides what the
 * gateway accepts. The walker is compiled once per schema into a tree of small closures and
 * produces, for one JSON value, either the Avro-ready value or field-level errors.
 *
 * JSON mapping (plain JSON, not Avro's JSON encoding):
 * - record → object; a missing field takes its Avro `default`, or a server fill (see `fills`),
 *   else `required`; a field the schema does not name is `unknown_field`.
 * - `["null", T]` unions → `null` or a plain T (no `{"string": …}` wrapper).
 * - int → integer in [-2^31, 2^31-1]; long → safe integer (|n| <= 2^53-1, JSON numbers above that
 *   lose precision, so they are refused rather than silently rounded); float/double → number.
 * - `logicalType: uuid` → canonical textual UUID (8-4-4-4-12 hex, any version).
 * - `logicalType: timestamp-millis` → integer epoch milliseconds or an RFC 3339 date-time with
 *   a zone (`2026-01-02T03:04:05.678Z`), within [minTimestampMs, now + maxFutureSkewMs].
 * - enum → one of the symbols; map → object of values; array → array of items.
 * - bytes / fixed → string of code points 0–255 (Avro's JSON rule); fixed also checks the size.
 */
export type FieldErrorCode =
  | 'required'
  | 'unknown_field'
  | 'type'
  | 'enum'
  | 'uuid'
  | 'timestamp_range'
  | 'int_range'
  | 'fixed_size'
  | 'too_many_errors';

export interface FieldError {
  /** Path of the offending value: `amountMinor`, `metadata.team`, `[3].eventId`. */
  readonly field: string;
  readonly code: FieldErrorCode;
  readonly message: string;
}

export interface ValidationOptions {
  /** Smallest accepted timestamp-millis (default 2000-01-01T00:00:00Z). */
  readonly minTimestampMs?: number;
  /** How far in the future a timestamp may be (default 24 h, for clock skew). */
  readonly maxFutureSkewMs?: number;
  /** Stop after this many errors (default 50). */
  readonly maxErrors?: number;
}

/** Values the server provides for top-level fields the client left out. */
export interface FillContext {
  /** Current time, epoch ms: the range check and time fills use it. */
  readonly now: number;
  /** Event id for this item when the client gave none. */
  readonly eventId: () => string;
}

/** Top-level field name → how the server fills it when absent. */
export type Fills = Readonly<Record<string, (ctx: FillContext) => unknown>>;

export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T; readonly filled: readonly string[] }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

type AvroSchema = string | AvroSchema[] | { readonly [key: string]: unknown };

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
export const DEFAULT_MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 3339 date-time with a mandatory zone. */
const RFC3339_RE =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface WalkState {
  readonly errors: FieldError[];
  readonly maxErrors: number;
  readonly now: number;
  readonly minTs: number;
  readonly maxSkew: number;
  /** Path of the root record: fills apply there only. */
  readonly rootPath: string;
  readonly fills: Fills;
  readonly ctx: FillContext;
  readonly filled: string[];
}

/** Returns the converted value, or `INVALID` after recording errors. */
type Walker = (value: unknown, path: string, state: WalkState) => unknown;
const INVALID = Symbol('invalid');

function addError(state: WalkState, field: string, code: FieldErrorCode, message: string): void {
  if (state.errors.length < state.maxErrors) {
    state.errors.push({ field: field || '(body)', code, message });
  } else if (state.errors.length === state.maxErrors) {
    state.errors.push({
      field: '(body)',
      code: 'too_many_errors',
      message: `more than ${state.maxErrors} errors; the rest are not reported`,
    });
  }
}

export function childPath(parent: string, key: string): string {
  if (IDENT_RE.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a branch of a union accepts, in words (for error messages). */
function typeName(schema: AvroSchema): string {
  if (typeof schema === 'string') return schema;
  if (Array.isArray(schema)) return schema.map(typeName).join(' | ');
  const logical = schema.logicalType;
  if (typeof logical === 'string') return `${String(schema.type)} (${logical})`;
  if (schema.type === 'record' || schema.type === 'enum' || schema.type === 'fixed')
    return String(schema.name);
  return String(schema.type);
}

class Compiler {
  private readonly named = new Map<string, Walker>();

  compile(schema: AvroSchema, namespace: string): Walker {
    if (typeof schema === 'string') return this.primitiveOrRef(schema, namespace);
    if (Array.isArray(schema)) return this.union(schema, namespace);
    const type = schema.type;
    const logical = typeof schema.logicalType === 'string' ? schema.logicalType : undefined;
    switch (type) {
      case 'record':
      case 'error':
        return this.record(schema, namespace);
      case 'enum':
        return this.enumType(schema, namespace);
      case 'fixed':
        return this.fixed(schema, namespace);
      case 'array': {
        const items = this.compile(schema.items as AvroSchema, namespace);
        return (value, path, state) => {
          if (!Array.isArray(value)) {
            addError(state, path, 'type', `expected an array, got ${describe(value)}`);
            return INVALID;
          }
          const out: unknown[] = new Array<unknown>(value.length);
          let ok = true;
          for (let i = 0; i < value.length; i++) {
            const v = items(value[i], `${path}[${i}]`, state);
            if (v === INVALID) ok = false;
            else out[i] = v;
          }
          return ok ? out : INVALID;
        };
      }
      case 'map': {
        const values = this.compile(schema.values as AvroSchema, namespace);
        return (value, path, state) => {
          if (!isPlainObject(value)) {
            addError(state, path, 'type', `expected an object (map), got ${describe(value)}`);
            return INVALID;
          }
          const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
          let ok = true;
          for (const key of Object.keys(value)) {
            const v = values(value[key], childPath(path, key), state);
            if (v === INVALID) ok = false;
            else out[key] = v;
          }
          return ok ? { ...out } : INVALID;
        };
      }
      default:
        if (typeof type === 'string' || Array.isArray(type) || isPlainObject(type)) {
          if (logical !== undefined && typeof type === 'string') {
            return this.logical(type, logical, namespace);
          }
          return this.compile(type as AvroSchema, namespace);
        }
        throw new Error(`unsupported Avro schema ${JSON.stringify(schema)}`);
    }
  }

  private primitiveOrRef(name: string, namespace: string): Walker {
    switch (name) {
      case 'null':
        return (value, path, state) => {
          if (value === null) return null;
          addError(state, path, 'type', `expected null, got ${describe(value)}`);
          return INVALID;
        };
      case 'boolean':
        return (value, path, state) => {
          if (typeof value === 'boolean') return value;
          addError(state, path, 'type', `expected a boolean, got ${describe(value)}`);
          return INVALID;
        };
      case 'int':
        return (value, path, state) => {
          if (typeof value !== 'number' || !Number.isInteger(value)) {
            addError(state, path, 'type', `expected an integer (int), got ${describe(value)}`);
            return INVALID;
          }
          if (value < INT_MIN || value > INT_MAX) {
            addError(state, path, 'int_range', `int must be within [${INT_MIN}, ${INT_MAX}]`);
            return INVALID;
          }
          return value;
        };
      case 'long':
        return (value, path, state) => {
          if (typeof value !== 'number' || !Number.isInteger(value)) {
            addError(state, path, 'type', `expected an integer (long), got ${describe(value)}`);
            return INVALID;
          }
          if (!Number.isSafeInteger(value)) {
            addError(state, path, 'int_range', 'long must be within ±(2^53-1) to survive JSON');
            return INVALID;
          }
          return value;
        };
      case 'float':
      case 'double':
        return (value, path, state) => {
          if (typeof value === 'number' && Number.isFinite(value)) return value;
          addError(state, path, 'type', `expected a number (${name}), got ${describe(value)}`);
          return INVALID;
        };
      case 'string':
        return (value, path, state) => {
          if (typeof value === 'string') return value;
          addError(state, path, 'type', `expected a string, got ${describe(value)}`);
          return INVALID;
        };
      case 'bytes':
        return (value, path, state) => bytesFromJson(value, path, state);
      default: {
        const full = name.includes('.') ? name : namespace ? `${namespace}.${name}` : name;
        // A reference: resolved lazily, so a record may refer to itself.
        return (value, path, state) => {
          const walker = this.named.get(full) ?? this.named.get(name);
          if (!walker) throw new Error(`unknown Avro type reference "${name}"`);
          return walker(value, path, state);
        };
      }
    }
  }

  private logical(type: string, logical: string, namespace: string): Walker {
    const base = this.primitiveOrRef(type, namespace);
    if (logical === 'uuid' && type === 'string') {
      return (value, path, state) => {
        if (typeof value !== 'string') return base(value, path, state);
        if (UUID_RE.test(value)) return value;
        addError(state, path, 'uuid', 'expected a UUID (8-4-4-4-12 hexadecimal digits)');
        return INVALID;
      };
    }
    if (logical === 'timestamp-millis' && type === 'long') {
      return (value, path, state) => {
        let ms: unknown = value;
        if (typeof value === 'string') {
          const parsed = RFC3339_RE.test(value) ? Date.parse(value) : Number.NaN;
          if (Number.isNaN(parsed)) {
            addError(
              state,
              path,
              'type',
              'expected epoch milliseconds or an RFC 3339 date-time with a zone',
            );
            return INVALID;
          }
          ms = parsed;
        }
        const v = base(ms, path, state);
        if (v === INVALID) return INVALID;
        const n = v as number;
        const max = state.now + state.maxSkew;
        if (n < state.minTs || n > max) {
          addError(
            state,
            path,
            'timestamp_range',
            `timestamp must be within [${new Date(state.minTs).toISOString()}, now + ${Math.round(state.maxSkew / 1000)} s]`,
          );
          return INVALID;
        }
        return n;
      };
    }
    // Other logical types: the underlying type's rules.
    return base;
  }

  private union(branches: AvroSchema[], namespace: string): Walker {
    const hasNull = branches.some((b) => b === 'null');
    const others = branches.filter((b) => b !== 'null');
    const walkers = others.map((b) => this.compile(b, namespace));
    const expected = branches.map(typeName).join(' | ');
    return (value, path, state) => {
      if (value === null) {
        if (hasNull) return null;
        addError(state, path, 'type', `expected ${expected}, got null`);
        return INVALID;
      }
      if (walkers.length === 1) return (walkers[0] as Walker)(value, path, state);
      // Several non-null branches: the first that accepts the value without errors.
      for (const walker of walkers) {
        const probe: WalkState = { ...state, errors: [] };
        const v = walker(value, path, probe);
        if (v !== INVALID) return v;
      }
      addError(state, path, 'type', `expected ${expected}, got ${describe(value)}`);
      return INVALID;
    };
  }

  private fullName(schema: { readonly [key: string]: unknown }, namespace: string): string {
    const name = String(schema.name);
    const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace;
    return name.includes('.') ? name : ns ? `${ns}.${name}` : name;
  }

  private enumType(schema: { readonly [key: string]: unknown }, namespace: string): Walker {
    const symbols = schema.symbols as string[];
    const set = new Set(symbols);
    const walker: Walker = (value, path, state) => {
      if (typeof value === 'string' && set.has(value)) return value;
      addError(state, path, 'enum', `expected one of ${symbols.join(', ')}`);
      return INVALID;
    };
    this.named.set(this.fullName(schema, namespace), walker);
    return walker;
  }

  private fixed(schema: { readonly [key: string]: unknown }, namespace: string): Walker {
    const size = Number(schema.size);
    const walker: Walker = (value, path, state) => {
      const v = bytesFromJson(value, path, state);
      if (v === INVALID) return INVALID;
      if ((v as Buffer).length !== size) {
        addError(state, path, 'fixed_size', `expected exactly ${size} bytes`);
        return INVALID;
      }
      return v;
    };
    this.named.set(this.fullName(schema, namespace), walker);
    return walker;
  }

  private record(schema: { readonly [key: string]: unknown }, namespace: string): Walker {
    const full = this.fullName(schema, namespace);
    const ns = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : '';
    const fields: Array<{
      name: string;
      walker: Walker;
      hasDefault: boolean;
      defaultJson: string;
    }> = [];
    const walker: Walker = (value, path, state) => {
      if (!isPlainObject(value)) {
        addError(state, path, 'type', `expected an object, got ${describe(value)}`);
        return INVALID;
      }
      let ok = true;
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        if (Object.prototype.hasOwnProperty.call(value, f.name)) {
          const v = f.walker(value[f.name], childPath(path, f.name), state);
          if (v === INVALID) ok = false;
          else out[f.name] = v;
        } else if (f.hasDefault) {
          out[f.name] = JSON.parse(f.defaultJson) as unknown;
        } else {
          const fill = path === state.rootPath ? state.fills[f.name] : undefined;
          if (fill) {
            out[f.name] = fill(state.ctx);
            state.filled.push(f.name);
          } else {
            addError(state, childPath(path, f.name), 'required', 'field is required');
            ok = false;
          }
        }
      }
      for (const key of Object.keys(value)) {
        if (!fieldNames.has(key)) {
          addError(state, childPath(path, key), 'unknown_field', 'field is not in the schema');
          ok = false;
        }
      }
      return ok ? out : INVALID;
    };
    const fieldNames = new Set<string>();
    this.named.set(full, walker);
    for (const f of schema.fields as Array<{ readonly [key: string]: unknown }>) {
      const name = String(f.name);
      fieldNames.add(name);
      fields.push({
        name,
        walker: this.compile(f.type as AvroSchema, ns),
        hasDefault: 'default' in f,
        defaultJson: JSON.stringify(f.default ?? null),
      });
    }
    return walker;
  }
}

function bytesFromJson(value: unknown, path: string, state: WalkState): unknown {
  if (typeof value !== 'string') {
    addError(state, path, 'type', `expected a string of bytes, got ${describe(value)}`);
    return INVALID;
  }
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 255) {
      addError(state, path, 'type', 'bytes must be code points 0-255 (Avro JSON encoding)');
      return INVALID;
    }
  }
  return Buffer.from(value, 'latin1');
}

export interface CompiledValidator<T> {
  /** Field names the server fills when absent (documented per endpoint). */
  readonly serverFilled: readonly string[];
  /** Validates one JSON value; `path` prefixes error fields (e.g. `[3]` in a batch). */
  validate(value: unknown, ctx: FillContext, path?: string): ValidationResult<T>;
}

/**
 * Compiles `schemaJson` (an Avro record schema) into a validator. `fills` names top-level fields
 * the server provides when the client omits them (e.g. `eventId`, `requestedAt`); every other
 * field without an Avro default is required.
 */
export function compileValidator<T>(
  schemaJson: string | object,
  fills: Fills = {},
  options: ValidationOptions = {},
): CompiledValidator<T> {
  const schema = (typeof schemaJson === 'string' ? JSON.parse(schemaJson) : schemaJson) as {
    readonly [key: string]: unknown;
  };
  if (schema.type !== 'record') throw new Error('compileValidator needs a record schema');
  const namespace = typeof schema.namespace === 'string' ? schema.namespace : '';
  const root = new Compiler().compile(schema, namespace);
  const fieldNames = new Set((schema.fields as Array<{ name: string }>).map((f) => f.name));
  for (const name of Object.keys(fills)) {
    if (!fieldNames.has(name)) throw new Error(`fill for unknown field ${name}`);
  }
  const minTs = options.minTimestampMs ?? DEFAULT_MIN_TIMESTAMP_MS;
  const maxSkew = options.maxFutureSkewMs ?? 24 * 3600 * 1000;
  const maxErrors = options.maxErrors ?? 50;
  return {
    serverFilled: Object.keys(fills),
    validate(value: unknown, ctx: FillContext, path = ''): ValidationResult<T> {
      const state: WalkState = {
        errors: [],
        maxErrors,
        now: ctx.now,
        minTs,
        maxSkew,
        rootPath: path,
        fills,
        ctx,
        filled: [],
      };
      const out = root(value, path, state);
      if (out === INVALID || state.errors.length > 0) return { ok: false, errors: state.errors };
      return { ok: true, value: out as T, filled: state.filled };
    },
  };
}
