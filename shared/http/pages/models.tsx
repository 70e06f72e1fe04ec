import { Hono } from 'hono';
import { isProxyAdmin, readsEverything } from '../../auth/roles';
import { forbidden } from '../../core/errors';
import { publicModel, type ModelItem } from '../../models/model';
import { ModelEntry } from '../../models/schema';
import type { AppEnv } from '../core/env';
import { redirectWithFlash } from './flash';
import { number, parseForm, text } from './form-input';
import { applyError, emptyForm, readForm, str, type FormState } from './form-state';
import { Csrf, FormAlert, Input } from './forms';
import { chrome, Layout } from './layout';
import { actorOf, render, statusOf, type PageContext, type PageStatus as Status } from './render';
import { Table } from './table';

/** Prices are typed per million tokens (as providers publish them) and stored per token (as LiteLLM does). */
const FIELDS = ['model_name', 'model', 'api_base', 'api_key', 'input_per_million', 'output_per_million', 'max_tokens'] as const;
const PARAM_FIELD: Record<string, string> = {
  'litellm_params.model': 'model',
  'litellm_params.api_base': 'api_base',
  'litellm_params.api_key': 'api_key',
  'litellm_params.input_cost_per_token': 'input_per_million',
  'litellm_params.output_cost_per_token': 'output_per_million',
  'litellm_params.max_tokens': 'max_tokens',
  'litellm_params.aws_region_name': 'api_base',
};
const NOT_NEGATIVE = 'Enter a number, 0 or more.';

const perMillion = (perToken: number | undefined) => (perToken === undefined ? '' : String(Number((perToken * 1e6).toFixed(6))));

function formFor(m: ModelItem | null): FormState {
  const p = m?.litellm_params;
  return emptyForm('model', {
    model_name: m?.model_name ?? '',
    model: p?.model ?? '',
    api_base: p?.api_base ?? '',
    api_key: '',
    input_per_million: perMillion(p?.input_cost_per_token),
    output_per_million: perMillion(p?.output_cost_per_token),
    max_tokens: p?.max_tokens === undefined ? '' : String(p.max_tokens),
  });
}

/** How the form's fields are read for the registry's schema (prices per million in the form, per token stored). */
const MODEL_INPUTS = {
  model_name: text('Enter the public model name keys will call.', ''),
  model: text('Enter the provider and model, e.g. openai/gpt-4o-mini.', ''),
  api_base: text('Enter an http(s) URL, e.g. http://localhost:8000/v1.'),
  api_key: text(),
  input_per_million: number(NOT_NEGATIVE, 1e6),
  output_per_million: number(NOT_NEGATIVE, 1e6),
  max_tokens: number('Enter a whole number of tokens.'),
};

/** The form as a registration (the shape of a config file's model entry), or null with the errors on the form. */
function registrationOf(form: FormState) {
  return parseForm(form, ModelEntry, MODEL_INPUTS, {
    aliases: PARAM_FIELD,
    build: (f) => ({
      model_name: f.model_name,
      litellm_params: Object.fromEntries(
        Object.entries({ model: f.model, api_base: f.api_base, api_key: f.api_key, input_cost_per_token: f.input_per_million, output_cost_per_token: f.output_per_million, max_tokens: f.max_tokens }).filter(([, v]) => v !== undefined),
      ),
    }),
  });
}

function ModelForm(p: { form: FormState; action: string; csrf?: string; submit: string; editing: boolean }) {
  return (
    <form method="post" action={p.action} class="card" novalidate aria-label={p.submit}>
      <FormAlert form={p.form} />
      <Csrf token={p.csrf} />
      <Input form={p.form} name="model_name" label="Model name" required hint="The public name keys call, e.g. gpt-4o-mini." />
      <Input form={p.form} name="model" label="Provider / upstream model" required hint="openai/…, azure/…, bedrock/…, anthropic/… or echo/…" />
      <Input form={p.form} name="api_base" label="API base" hint="OpenAI-compatible: with its version path (http://host:8000/v1); Anthropic: the root." />
      <Input
        form={p.form}
        name="api_key"
        label="API key"
        type="password"
        secret
        hint={p.editing ? 'Leave empty to keep the stored key. Never shown again; os.environ/NAME reads an environment variable.' : 'Never shown again; os.environ/NAME reads an environment variable.'}
      />
      <Input form={p.form} name="input_per_million" label="Input price (USD per million tokens)" type="number" step="any" min="0" hint="Empty: the price database's." />
      <Input form={p.form} name="output_per_million" label="Output price (USD per million tokens)" type="number" step="any" min="0" />
      <Input form={p.form} name="max_tokens" label="Output limit (tokens)" type="number" step="1" min="1" hint="Reserved as the worst case when a request sets no max_tokens." />
      <button type="submit">{p.submit}</button>
    </form>
  );
}

async function modelsPage(c: PageContext, form: FormState | null, status: Status = 200) {
  const actor = actorOf(c);
  if (!readsEverything(actor)) throw forbidden('Only proxy admins and proxy admin viewers can see the models.');
  const models = await c.get('deps').models.list();
  return render(
    c,
    <Layout title="Models" {...await chrome(c, '/ui/models')}>
      <Table
        rows={models}
        empty="No models yet."
        columns={['Model name', 'Provider / model', 'API base', 'USD / M tokens in, out', isProxyAdmin(actor) ? 'Actions' : null]}
        row={(m) => {
          const v = publicModel(m);
          const p = v.litellm_params;
          return (
            <tr>
              <td>{v.model_name}</td>
              <td>
                <code>{p.model}</code>
              </td>
              <td>{p.api_base ?? '—'}</td>
              <td>{p.input_cost_per_token === undefined && p.output_cost_per_token === undefined ? 'price database' : `${perMillion(p.input_cost_per_token) || '0'}, ${perMillion(p.output_cost_per_token) || '0'}`}</td>
              {isProxyAdmin(actor) ? (
                <td>
                  <a href={`/ui/models/${encodeURIComponent(m.model_id)}`} aria-label={`Edit ${m.model_name}`}>
                    Edit
                  </a>
                </td>
              ) : null}
            </tr>
          );
        }}
      />
      {isProxyAdmin(actor) ? (
        <>
          <h2>Add a model</h2>
          <ModelForm form={form ?? formFor(null)} action="/ui/models" csrf={c.get('session')?.csrf} submit="Add model" editing={false} />
        </>
      ) : null}
    </Layout>,
    status,
  );
}

async function editPage(c: PageContext, id: string, form: FormState | null, status: Status = 200) {
  const actor = actorOf(c);
  if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can change models.');
  const model = await c.get('deps').models.get(id);
  if (!model) return redirectWithFlash(c, '/ui/models', `Model ${id} no longer exists.`);
  const csrf = c.get('session')?.csrf;
  return render(
    c,
    <Layout title={`Model ${model.model_name}`} {...await chrome(c, '/ui/models')}>
      <ModelForm form={form ?? formFor(model)} action={`/ui/models/${encodeURIComponent(id)}`} csrf={csrf} submit="Save model" editing />
      <form method="post" action={`/ui/models/${encodeURIComponent(id)}/delete`} class="card" aria-label="Delete model">
        <Csrf token={csrf} />
        <p>Keys calling {model.model_name} are refused once it is deleted.</p>
        <button type="submit" class="danger">
          Delete model
        </button>
      </form>
    </Layout>,
    status,
  );
}

const formOf = async (c: PageContext) => {
  const values = await readForm(c);
  return emptyForm('model', Object.fromEntries(FIELDS.map((f) => [f, str(values, f)])));
};

export const modelPages = new Hono<AppEnv>()
  .get('/models', (c) => modelsPage(c, null))
  .post('/models', async (c) => {
    const form = await formOf(c);
    const input = registrationOf(form);
    if (!input) return modelsPage(c, form, 400);
    try {
      await c.get('deps').models.create(actorOf(c), input);
      return redirectWithFlash(c, '/ui/models', `Model ${input.model_name} added.`);
    } catch (err) {
      const e = applyError(form, err, FIELDS, PARAM_FIELD);
      return modelsPage(c, form, statusOf(e) as Status);
    }
  })
  .get('/models/:id', (c) => editPage(c, c.req.param('id'), null))
  .post('/models/:id', async (c) => {
    const id = c.req.param('id');
    const form = await formOf(c);
    const input = registrationOf(form);
    if (!input) return editPage(c, id, form, 400);
    try {
      await c.get('deps').models.update(actorOf(c), id, input);
      return redirectWithFlash(c, '/ui/models', `Model ${input.model_name} saved.`);
    } catch (err) {
      const e = applyError(form, err, FIELDS, PARAM_FIELD);
      return editPage(c, id, form, statusOf(e) as Status);
    }
  })
  .post('/models/:id/delete', async (c) => {
    const id = c.req.param('id');
    await c.get('deps').models.delete(actorOf(c), id);
    return redirectWithFlash(c, '/ui/models', `Model ${id} deleted.`);
  });
