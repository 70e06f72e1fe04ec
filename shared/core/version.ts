/**
 * onramp's version: the OpenAPI document's `info.version`, and the `litellm_version`
 * of `/health/readiness` (where LiteLLM's clients read a server's version).
 * Kept equal to `version` in package.json.
 */
export const ONRAMP_VERSION = '0.1.0';
