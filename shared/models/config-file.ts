import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { MASTER_KEY_USER_ID, type Principal } from '../auth/roles';
import { LOCAL_ECHO_MODEL } from './model';
import type { Models, NewModel } from './registry';
import { ModelConfigFile } from './schema';

const ADMIN: Principal = { userId: MASTER_KEY_USER_ID, role: 'proxy_admin', via: 'master_key' };

/** The echo model, priced like a small real model ($1 / $2 per million tokens) so budgets visibly move. */
export const LOCAL_ECHO: NewModel = {
  model_name: LOCAL_ECHO_MODEL,
  litellm_params: { model: `echo/${LOCAL_ECHO_MODEL}`, input_cost_per_token: 0.000001, output_cost_per_token: 0.000002, max_tokens: 1024 },
  model_info: { id: LOCAL_ECHO_MODEL, mode: 'chat' },
};

/**
 * Reads a models file: JSON shaped like LiteLLM's config.yaml `model_list`
 * (`{"model_list": [{"model_name", "litellm_params": {…}, "model_info"?}]}`).
 * Credentials are best given as `"api_key": "os.environ/NAME"`.
 */
export function readModelsFile(path: string): NewModel[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`models file ${path}: cannot read it as JSON (${(err as Error).message})`);
  }
  const parsed = z.safeParse(ModelConfigFile, raw);
  if (!parsed.success) {
    throw new Error(`models file ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data.model_list;
}

/**
 * What `npm start` registers: the file's models (upserted under stable ids), or —
 * when neither the file nor the registry has any — the local echo model.
 */
export async function seedLocalModels(models: Models, fromFile: NewModel[]): Promise<{ seeded: string[]; echo: boolean }> {
  if (fromFile.length) {
    await models.seed(ADMIN, fromFile);
    return { seeded: fromFile.map((m) => m.model_name), echo: false };
  }
  if ((await models.list()).length) return { seeded: [], echo: false };
  await models.seed(ADMIN, [LOCAL_ECHO]);
  return { seeded: [LOCAL_ECHO_MODEL], echo: true };
}
