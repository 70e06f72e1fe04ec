import { isProxyAdmin, type Principal } from '../auth/roles';
import { indexKeys, keys } from '../db/keys';
import { allModels, deploymentsNamed } from '../db/queries';
import { mustNotExist, type Table } from '../db/table';
import { badRequest, conflict, forbidden } from '../core/errors';
import { newUuid } from '../core/ids';
import { logger } from '../core/logger';
import { TableCredentials, type CredentialStore } from './credentials';
import { splitModel, type LitellmParams, type ModelInfo, type ModelItem } from './model';
import { isPriced } from './prices';

export type NewModel = { model_name: string; litellm_params: LitellmParams; model_info?: Partial<ModelInfo> };
export type ModelChange = { model_name?: string; litellm_params?: Partial<LitellmParams>; model_info?: Partial<ModelInfo> };

const unknownModel = (id: string) => badRequest(`Model with id=${id} not found in db.`, 'id');

/**
 * The model registry: public `model_name`s, each one or more deployments (provider,
 * upstream model, api_base, credential, prices). Admins write it through LiteLLM's
 * `/model/*` routes; `npm start` seeds it from a config file. Credentials go to the
 * credential store (Secrets Manager on AWS); the row keeps what the store returns.
 */
export class Models {
  constructor(
    private readonly table: Table,
    private readonly clock: () => Date,
    readonly credentials: CredentialStore = new TableCredentials(),
  ) {}

  get(modelId: string): Promise<ModelItem | undefined> {
    return this.table.get<ModelItem>(keys.model(modelId));
  }

  /** Every registered model, oldest first (the registry is small: one Query, all pages). */
  list(): Promise<ModelItem[]> {
    return this.table.queryAll<ModelItem>(allModels());
  }

  /** The deployments serving a public model name (one Query; eventually consistent, like any GSI). */
  deploymentsOf(modelName: string): Promise<ModelItem[]> {
    return this.table.queryAll<ModelItem>(deploymentsNamed(modelName));
  }

  async create(actor: Principal, input: NewModel): Promise<ModelItem> {
    assertAdmin(actor);
    const now = this.clock().toISOString();
    const modelId = input.model_info?.id ?? newUuid();
    const { api_key, ...params } = input.litellm_params;
    const item: ModelItem = {
      ...keys.model(modelId),
      ...indexKeys.model(modelId, input.model_name, now),
      type: 'model',
      model_id: modelId,
      model_name: input.model_name,
      litellm_params: params,
      credential: null,
      model_info: { ...input.model_info, id: modelId },
      created_at: now,
      created_by: actor.userId,
      updated_at: now,
      updated_by: actor.userId,
    };
    checkServable(item);
    // Kept before the row is written: a row never refers to a credential that is not there.
    if (api_key !== undefined) item.credential = await this.credentials.save(modelId, api_key);
    await this.table.put(item, mustNotExist(() => conflict(`A model with id ${modelId} already exists.`, 'model_info.id')));
    return item;
  }

  /** Merges the given fields into the model; `api_key` replaces the credential. Fails, changing nothing, when a concurrent update won. */
  async update(actor: Principal, modelId: string, change: ModelChange): Promise<ModelItem> {
    assertAdmin(actor);
    const current = await this.get(modelId);
    if (!current) throw unknownModel(modelId);
    const { api_key, ...params } = change.litellm_params ?? {};
    const now = this.clock().toISOString();
    const modelName = change.model_name ?? current.model_name;
    const next: ModelItem = {
      ...current,
      ...indexKeys.model(modelId, modelName, current.created_at),
      model_name: modelName,
      litellm_params: { ...current.litellm_params, ...params },
      credential: current.credential,
      model_info: { ...current.model_info, ...change.model_info, id: modelId },
      updated_at: now,
      updated_by: actor.userId,
    };
    checkServable(next);
    if (api_key !== undefined) next.credential = await this.credentials.save(modelId, api_key);
    await this.table.put(next, {
      expression: 'attribute_exists(PK) AND updated_at = :seen',
      values: { ':seen': current.updated_at },
      onFail: (item) => (item ? conflict(`Model ${modelId} was changed concurrently; nothing was written. Retry.`, 'id') : unknownModel(modelId)),
    });
    await this.forget(current.credential, next.credential);
    return next;
  }

  /** Deletes the row, then its credential (Secrets Manager keeps it for its recovery window). */
  async delete(actor: Principal, modelId: string): Promise<void> {
    assertAdmin(actor);
    const current = await this.get(modelId);
    if (!current) throw unknownModel(modelId);
    await this.table.delete(keys.model(modelId), {
      expression: 'attribute_exists(PK) AND updated_at = :seen',
      values: { ':seen': current.updated_at },
      onFail: (item) => (item ? conflict(`Model ${modelId} was changed concurrently; nothing was deleted. Retry.`, 'id') : unknownModel(modelId)),
    });
    await this.forget(current.credential, null);
  }

  /** The row is written: a credential it no longer refers to goes. A failure here leaves a stray secret, never a broken model. */
  private async forget(previous: string | null, current: string | null): Promise<void> {
    if (previous === current) return;
    try {
      await this.credentials.retire(previous, current);
    } catch (err) {
      logger.error('could not forget a model credential', { error: err as Error });
    }
  }

  /** Upserts models from a config file (`npm start`), as the master key; ids are stable so restarts change nothing. */
  async seed(actor: Principal, models: NewModel[]): Promise<number> {
    let written = 0;
    for (const m of models) {
      const id = m.model_info?.id ?? `config-${m.model_name}`;
      const existing = await this.get(id);
      if (existing) await this.update(actor, id, m);
      else await this.create(actor, { ...m, model_info: { ...m.model_info, id } });
      written++;
    }
    return written;
  }
}

function assertAdmin(actor: Principal) {
  if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can add, change or delete models.');
}

/** A model onramp could not call or could not price is refused here, not at the first request. */
function checkServable(item: ModelItem) {
  const split = splitModel(item.litellm_params.model);
  if (!split) {
    throw badRequest(
      `litellm_params.model must be "<provider>/<model>" with provider one of openai, azure, bedrock, anthropic, echo; got "${item.litellm_params.model}".`,
      'litellm_params.model',
    );
  }
  if (split.provider === 'azure' && !item.litellm_params.api_base) {
    throw badRequest('An azure/ model needs litellm_params.api_base (https://<resource>.openai.azure.com).', 'litellm_params.api_base');
  }
  if (split.provider === 'bedrock' && !item.litellm_params.api_base && !item.litellm_params.aws_region_name) {
    throw badRequest('A bedrock/ model needs litellm_params.aws_region_name (or api_base).', 'litellm_params.aws_region_name');
  }
  if (!isPriced(item)) {
    throw badRequest(
      `No price known for ${item.litellm_params.model}: set litellm_params.input_cost_per_token and output_cost_per_token (USD per token). onramp never serves a model at $0.`,
      'litellm_params.input_cost_per_token',
    );
  }
}
