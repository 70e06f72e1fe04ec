import type { Context } from 'hono';

/**
 * The request media types the app reads, and the one way to ask which a request
 * carries. Every content-type check under shared/http goes through here, so a
 * body the validation takes for JSON is JSON for the CSRF check and the audit too.
 */

export const JSON_TYPE = 'application/json';
export const FORM_TYPE = 'application/x-www-form-urlencoded';
export const MULTIPART_TYPE = 'multipart/form-data';

/** The type without its parameters, lower case: `Application/JSON; charset=utf-8` → `application/json`. */
export function essence(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** `application/json` or a structured `+json` type (`application/vnd.api+json`). */
export const isJsonType = (contentType: string | undefined) => /^application\/([\w.-]+\+)?json$/.test(essence(contentType));

/** An HTML form post: urlencoded or multipart. */
export const isFormType = (contentType: string | undefined) => [FORM_TYPE, MULTIPART_TYPE].includes(essence(contentType));

type HasHeaders = Pick<Context, 'req'>;

/** The request says its body is JSON. */
export const isJson = (c: HasHeaders) => isJsonType(c.req.header('content-type'));

/** The request says its body is a form. */
export const isForm = (c: HasHeaders) => isFormType(c.req.header('content-type'));

// Parameters as @hono/zod-openapi accepted them, kept so that clients see no change in which bodies get a 415.
const JSON_WITH_PARAMETERS = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const FORM_WITH_PARAMETERS =
  /^(multipart\/form-data(;\s?boundary=[a-zA-Z0-9'"()+_,\-./:=?]+)?|application\/x-www-form-urlencoded(;\s*[a-zA-Z0-9-]+=([^;]+))*)$/i;

/**
 * Whether a body sent as `contentType` is one a route declaring `declared` reads:
 * the same family (JSON or form) and well-formed parameters.
 */
export function acceptsMediaType(declared: readonly string[], contentType: string): boolean {
  return declared.some((d) => (isJsonType(d) ? JSON_WITH_PARAMETERS.test(contentType) : isFormType(d) ? FORM_WITH_PARAMETERS.test(contentType) : false));
}
