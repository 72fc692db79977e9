/**
 * JSON Schema (OpenAPI 3 flavour) of what the gateway accepts for an Avro record, derived from the
 * same `.avsc` as the validator, so the documented request bodies cannot drift from the checks.
 * Server-filled fields are listed as optional and say so.
 */
type AvroSchema = string | AvroSchema[] | { readonly [key: string]: unknown };
export type JsonSchema = Record<string, unknown>;

const UUID_PATTERN =
  '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export function avroToJsonSchema(
  schemaJson: string | object,
  serverFilled: readonly string[] = [],
): JsonSchema {
  const schema = (typeof schemaJson === 'string' ? JSON.parse(schemaJson) : schemaJson) as {
    readonly [key: string]: unknown;
  };
  const named = new Map<string, JsonSchema>();
  return convert(schema, typeof schema.namespace === 'string' ? schema.namespace : '', named, {
    filled: new Set(serverFilled),
    top: true,
  });
}

function convert(
  schema: AvroSchema,
  namespace: string,
  named: Map<string, JsonSchema>,
  opts: { filled: ReadonlySet<string>; top: boolean },
): JsonSchema {
  const inner = { filled: opts.filled, top: false };
  if (typeof schema === 'string') {
    switch (schema) {
      case 'null':
        return { nullable: true };
      case 'boolean':
        return { type: 'boolean' };
      case 'int':
        return { type: 'integer', format: 'int32' };
      case 'long':
        return { type: 'integer', format: 'int64', minimum: -(2 ** 53 - 1), maximum: 2 ** 53 - 1 };
      case 'float':
        return { type: 'number', format: 'float' };
      case 'double':
        return { type: 'number', format: 'double' };
      case 'string':
        return { type: 'string' };
      case 'bytes':
        return { type: 'string', description: 'bytes as code points 0-255' };
      default: {
        const full = schema.includes('.') ? schema : namespace ? `${namespace}.${schema}` : schema;
        const def = named.get(full) ?? named.get(schema);
        if (!def) throw new Error(`unknown Avro type reference "${schema}"`);
        return def;
      }
    }
  }
  if (Array.isArray(schema)) {
    const nullable = schema.includes('null');
    const others = schema
      .filter((s) => s !== 'null')
      .map((s) => convert(s, namespace, named, inner));
    const base: JsonSchema = others.length === 1 ? { ...others[0] } : { oneOf: others };
    if (nullable) base.nullable = true;
    return base;
  }
  const type = schema.type;
  const doc = typeof schema.doc === 'string' ? { description: schema.doc } : {};
  if (type === 'record') {
    const name = String(schema.name);
    const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace;
    const full = name.includes('.') ? name : `${ns}.${name}`;
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    const out: JsonSchema = { type: 'object', title: name, ...doc, additionalProperties: false };
    named.set(full, out);
    for (const f of schema.fields as Array<{ readonly [key: string]: unknown }>) {
      const fname = String(f.name);
      const prop = { ...convert(f.type as AvroSchema, ns, named, inner) };
      const fdoc = typeof f.doc === 'string' ? f.doc : undefined;
      const filled = opts.top && opts.filled.has(fname);
      if (fdoc || filled) {
        prop.description =
          `${fdoc ?? ''}${filled ? ' Filled by the gateway when omitted.' : ''}`.trim();
      }
      if ('default' in f) prop.default = f.default;
      else if (!filled) required.push(fname);
      properties[fname] = prop;
    }
    out.properties = properties;
    if (required.length > 0) out.required = required;
    return out;
  }
  if (type === 'enum') {
    const name = String(schema.name);
    const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace;
    const out: JsonSchema = { type: 'string', enum: [...(schema.symbols as string[])], ...doc };
    named.set(name.includes('.') ? name : `${ns}.${name}`, out);
    return out;
  }
  if (type === 'fixed') {
    return { type: 'string', minLength: Number(schema.size), maxLength: Number(schema.size) };
  }
  if (type === 'array') {
    return { type: 'array', items: convert(schema.items as AvroSchema, namespace, named, inner) };
  }
  if (type === 'map') {
    return {
      type: 'object',
      additionalProperties: convert(schema.values as AvroSchema, namespace, named, inner),
    };
  }
  const logical = schema.logicalType;
  if (logical === 'uuid') return { type: 'string', format: 'uuid', pattern: UUID_PATTERN };
  if (logical === 'timestamp-millis') {
    return {
      oneOf: [
        { type: 'integer', format: 'int64', description: 'epoch milliseconds (UTC)' },
        { type: 'string', format: 'date-time', description: 'RFC 3339 with a zone' },
      ],
    };
  }
  return convert(type as AvroSchema, namespace, named, inner);
}
