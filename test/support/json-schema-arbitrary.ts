import fc from 'fast-check';

/**
 * fast-check arbitraries for request values, driven by the JSON Schemas of the
 * OpenAPI document: mostly values the schema accepts (so requests get past
 * validation and reach the services and DynamoDB), mixed with values at and
 * beyond its edges, real ids from a pool, and arbitrary JSON anywhere.
 */

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  examples?: unknown[];
  default?: unknown;
};

export type Components = Record<string, JsonSchema>;

/** Numbers at the edges of what JSON, JavaScript and DynamoDB hold. */
const EDGE_NUMBERS = [0, -0, 1, -1, 0.1 + 0.2, 1e-7 * 3.0000000000000004, 1e-130, 1e-131, 1e-200, 5e-324, 9.9e125, 1e126, 1e300, 1e12, 1e12 + 0.5, 1e15, 1e16, 2 ** 53 + 2, 123456789.123456789];
const EDGE_STRINGS = ['', ' ', '\t', '0', 'null', '1mo ', ' 1mo', '1 mo', '99999mo', '99999w', '99999d', '0d', '00001d', '1MO', '\u0000', '\ud800', 'a\ud800b', '😀', '../../etc', 'KEY#x', 'sk-', 'x'.repeat(300)];

/** Nested objects deeper than DynamoDB's 32 levels. */
const deep = (depth: number): unknown => (depth === 0 ? 'bottom' : { d: deep(depth - 1) });
/** Free-form objects (metadata) of the kinds DynamoDB refuses: too deep, too large, odd numbers and keys. */
const hostileObject = fc.constantFrom<unknown>(
  deep(40),
  deep(33),
  { big: 'x'.repeat(420_000) },
  { many: Array.from({ length: 2_000 }, (_, i) => `entry-${i}-${'y'.repeat(100)}`) },
  { tiny: 1e-200 },
  { huge: 1e300 },
  { unsafe: 1e20 },
  { '': 'empty key' },
  { list: [deep(35)] },
  { s: '\ud800' },
);

export class SchemaArbitraries {
  constructor(
    private readonly components: Components,
    /** Real values (ids, keys, emails) the generated requests should often use. */
    private readonly pool: string[],
  ) {}

  private resolve(schema: JsonSchema): JsonSchema {
    let s = schema;
    for (let i = 0; s.$ref && i < 10; i++) s = this.components[s.$ref.replace('#/components/schemas/', '')] ?? {};
    return s;
  }

  /** Any JSON value. */
  wild(): fc.Arbitrary<unknown> {
    return fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom<unknown>(...EDGE_NUMBERS, ...EDGE_STRINGS, null, true, [], {}));
  }

  /** Mostly values the schema accepts, some it does not, a few anything at all. */
  of(schema: JsonSchema): fc.Arbitrary<unknown> {
    return fc.oneof({ weight: 8, arbitrary: this.valid(schema, 0) }, { weight: 2, arbitrary: this.loose(schema, 0) }, { weight: 1, arbitrary: this.wild() });
  }

  /** Values the schema accepts (as far as JSON Schema says), favouring its edges and real ids. */
  valid(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
    return this.shaped(schema, depth, (sub, d) => this.valid(sub, d), true);
  }

  /** The schema's shape, each value in or out of range. */
  private loose(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
    return this.shaped(schema, depth, (sub, d) => fc.oneof({ weight: 4, arbitrary: this.loose(sub, d) }, { weight: 1, arbitrary: this.wild() }), false);
  }

  private string(s: JsonSchema, valid: boolean): fc.Arbitrary<string> {
    const lengths = { minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 300) };
    const fits = (v: string) => v.length >= lengths.minLength && v.length <= (s.maxLength ?? Infinity) && (!s.pattern || new RegExp(s.pattern).test(v));
    const emails = fc.oneof(fc.integer({ min: 0, max: 1e6 }).map((n) => `prop-${n}@example.com`), fc.constantFrom(...this.pool.filter((p) => p.includes('@'))));
    // Durations (the only strings with examples): mostly well-formed, at every size, sometimes with spaces.
    const durations = fc
      .tuple(fc.constantFrom('', '', '', '', ' ', '0'), fc.integer({ min: 0, max: 99_999 }), fc.constantFrom('s', 'm', 'h', 'd', 'w', 'mo', 'mo', 'y'), fc.constantFrom('', '', '', '', ' ', '\n'))
      .map(([pre, n, unit, post]) => `${pre}${n}${unit}${post}`);
    if (valid && s.examples?.length) return fc.oneof(fc.constantFrom(...(s.examples as string[])), durations);
    if (valid && s.format === 'email') return emails;
    const options: fc.Arbitrary<string>[] = [fc.constantFrom(...this.pool), fc.string({ ...lengths, unit: 'binary' })];
    if (!valid) options.push(fc.constantFrom(...EDGE_STRINGS), durations, fc.emailAddress());
    if (!s.pattern && !s.format) options.push(fc.string(lengths));
    if (s.format === 'email') options.push(emails);
    if (s.pattern) {
      try {
        options.push(fc.stringMatching(new RegExp(s.pattern)));
      } catch {
        /* a pattern fast-check cannot generate from: the other options stand */
      }
    }
    const any = fc.oneof(...options);
    return valid ? any.filter(fits) : any;
  }

  private number(s: JsonSchema, integer: boolean, valid: boolean): fc.Arbitrary<number> {
    const min = Math.max(s.minimum ?? -1e6, integer ? Number.MIN_SAFE_INTEGER : -Number.MAX_VALUE);
    const max = Math.min(s.maximum ?? 1e6, integer ? Number.MAX_SAFE_INTEGER : Number.MAX_VALUE);
    const fits = (n: number) => n >= min && n <= max && (!integer || Number.isInteger(n));
    const inRange = integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    const edges = EDGE_NUMBERS.filter(fits);
    const options = [inRange, ...(edges.length ? [fc.constantFrom(...edges)] : [])];
    if (!valid) options.push(fc.constantFrom(...EDGE_NUMBERS), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
    return fc.oneof(...options);
  }

  private shaped(schema: JsonSchema, depth: number, child: (s: JsonSchema, depth: number) => fc.Arbitrary<unknown>, valid: boolean): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    if (s.const !== undefined) return fc.constant(s.const);
    if (s.enum) return fc.constantFrom(...s.enum);
    const union = s.anyOf ?? s.oneOf;
    if (union) return fc.oneof(...union.map((u) => child(u, depth)));
    if (s.allOf?.length) return child(s.allOf[0]!, depth);
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    switch (type) {
      case 'string':
        return this.string(s, valid);
      case 'number':
        return this.number(s, false, valid);
      case 'integer':
        return this.number(s, true, valid);
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array': {
        const items = s.items ? child(s.items, depth + 1) : this.wild();
        const min = s.minItems ?? 0;
        const max = s.maxItems ?? 5;
        const atLimit = Math.min(max, 120);
        return fc.oneof(
          { weight: 8, arbitrary: fc.array(items, { minLength: min, maxLength: Math.max(min, Math.min(max, 4)) }) },
          // Right at the schema's limit (and, when not bound to be valid, just over it).
          { weight: 1, arbitrary: fc.array(items, { minLength: atLimit, maxLength: valid ? atLimit : atLimit + 1 }) },
        );
      }
      case 'object':
      default: {
        if (depth > 4) return this.wild();
        const props = s.properties ?? {};
        if (Object.keys(props).length > 0) {
          return fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, child(v, depth + 1)])), {
            requiredKeys: (s.required ?? []).filter((k) => k in props),
          });
        }
        // A free-form object (metadata): ordinary, or the kinds DynamoDB refuses.
        return fc.oneof({ weight: 3, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }) }, { weight: 2, arbitrary: hostileObject });
      }
    }
  }
}
