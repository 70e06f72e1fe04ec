import * as z from 'zod/mini';
import { securityOf } from './auth';
import type { RouteDefinition, Schema } from './route-definition';

/**
 * The OpenAPI 3.1 document, built from the route definitions the routers recorded.
 * Schemas are converted by zod's own `toJSONSchema` (JSON Schema 2020-12, which
 * OpenAPI 3.1 uses): requests as the input they accept, responses as the output
 * they give. A schema given an id (`z.meta({ id })`) becomes a component under
 * `#/components/schemas/<id>` and is referenced with `$ref`.
 */

type JsonSchema = z.core.JSONSchema.BaseSchema;

export type DocumentSettings = {
  info: { title: string; version: string; description?: string };
  securitySchemes: Record<string, { type: string; scheme?: string; description?: string }>;
};

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

export function openApiDocument(routes: readonly RouteDefinition[], settings: DocumentSettings) {
  const components: Record<string, JsonSchema> = {};

  /** One schema inline; the named schemas it holds go to the components. */
  const convert = (schema: Schema, io: 'input' | 'output'): JsonSchema => {
    const { $schema: _, $id: __, $defs, ...json } = z.toJSONSchema(schema, { io });
    for (const [name, def] of Object.entries($defs ?? {})) addComponent(components, name, toComponentRefs(def));
    return toComponentRefs(json);
  };

  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    const { params, query, body } = route.request ?? {};
    const security = securityOf(route.auth);
    const parameters = [
      ...(params ? parametersOf(convert(params, 'input'), 'path', components) : []),
      ...(query ? parametersOf(convert(query, 'input'), 'query', components) : []),
    ];
    const contentOf = (content: Readonly<Record<string, { schema: Schema }>>, io: 'input' | 'output') =>
      Object.fromEntries(Object.entries(content).map(([type, { schema }]) => [type, { schema: convert(schema, io) }]));
    (paths[route.path] ??= {})[route.method] = {
      ...(route.tags ? { tags: route.tags } : {}),
      ...(route.summary ? { summary: route.summary } : {}),
      ...(security ? { security } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(body ? { requestBody: { required: body.required ?? false, content: contentOf(body.content, 'input') } } : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, r]) => [status, { description: r.description, ...(r.content ? { content: contentOf(r.content, 'output') } : {}) }]),
      ),
    };
  }

  return {
    openapi: '3.1.0',
    info: settings.info,
    paths,
    components: { schemas: components, securitySchemes: settings.securitySchemes },
  };
}

/** An object schema's properties as OpenAPI parameters (query or path). */
function parametersOf(json: JsonSchema, where: 'query' | 'path', components: Record<string, JsonSchema>) {
  const object = json.$ref ? components[json.$ref.replace('#/components/schemas/', '')] ?? {} : json;
  const required = new Set(object.required ?? []);
  return Object.entries(object.properties ?? {}).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof schema === 'object' && schema.description ? { description: schema.description } : {}),
    schema,
  }));
}

/** Two routes may hold the same named schema; two different schemas may not share a name. */
function addComponent(components: Record<string, JsonSchema>, name: string, schema: JsonSchema) {
  const existing = components[name];
  if (existing && JSON.stringify(existing) !== JSON.stringify(schema)) {
    throw new Error(`Two different schemas are named "${name}" in the OpenAPI document`);
  }
  components[name] = schema;
}

/** toJSONSchema points at its own `$defs`; in the document they live under the components. */
function toComponentRefs(json: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(json), (key, value) =>
    key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/') ? `#/components/schemas/${value.slice('#/$defs/'.length)}` : value,
  ) as JsonSchema;
}
