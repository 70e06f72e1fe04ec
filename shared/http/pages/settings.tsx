import { Hono } from 'hono';
import { isProxyAdmin } from '../../auth/roles';
import { NO_DEFAULT_MODELS } from '../../keys/service';
import { SettingsPatch } from '../../settings/inputs';
import type { InternalUserSettings } from '../../settings/service';
import type { AppEnv } from '../core/env';
import { BudgetFields, budgetInputs, ModelsField } from './fields';
import { redirectWithFlash } from './flash';
import { checked, choice, models, parseForm } from './form-input';
import { applyError, emptyForm, list, readForm, splitModels, str, type FormState } from './form-state';
import { formatUsd, resetLabel } from './format';
import { Checkbox, Checkboxes, Csrf, FormAlert, Select } from './forms';
import { chrome, Layout } from './layout';
import { actorOf, render, statusOf, type PageContext, type PageStatus as Status } from './render';

const DEFAULT_ROLES: Array<[string, string]> = [
  ['internal_user', 'internal_user (creates and deletes own keys)'],
  ['internal_user_viewer', 'internal_user_viewer (views own keys and spend)'],
];
const FIELDS = ['teams', 'no_default_models', 'models', 'user_role', 'max_budget', 'budget_duration'] as const;

/** The form's values for the stored settings. */
function formFor(s: InternalUserSettings): FormState {
  return emptyForm('settings', {
    teams: s.teams.map((t) => t.team_id),
    no_default_models: s.models.includes(NO_DEFAULT_MODELS) ? 'on' : 'off',
    models: s.models.filter((m) => m !== NO_DEFAULT_MODELS).join(', '),
    user_role: s.user_role,
    max_budget: s.max_budget === null ? '' : String(s.max_budget),
    budget_duration: s.budget_duration ?? '',
  });
}

async function settingsPage(c: PageContext, form: FormState | null, status: Status = 200) {
  const actor = actorOf(c);
  const deps = c.get('deps');
  const [settings, teams] = await Promise.all([deps.settings.read(actor), deps.teams.list(actor)]);
  const f = form ?? formFor(settings);
  const teamName = (id: string) => teams.find((t) => t.team_id === id)?.team_alias ?? id;
  // A default team new users join as plain members without /key/generate leaves them with no way to get a key.
  const closedDefaults = settings.teams.filter((d) => {
    const team = teams.find((t) => t.team_id === d.team_id);
    return team && d.user_role !== 'admin' && !team.team_member_permissions.includes('/key/generate');
  });
  return render(
    c,
    <Layout title="Default user settings" {...await chrome(c, '/ui/settings')}>
      <p>Every new internal user (created here or by the API) gets these settings and joins the default teams.</p>
      {closedDefaults.map((d) => (
        <p class="notice" role="note">
          Members of the default team <strong>{teamName(d.team_id)}</strong> cannot create keys: new users join it but will not be able to create a key
          there. Allow it on <a href={`/ui/teams/${encodeURIComponent(d.team_id)}`}>the team's page</a> (Member permissions: /key/generate).
        </p>
      ))}
      {isProxyAdmin(actor) ? (
        <form method="post" action="/ui/settings" class="card" novalidate aria-label="Default user settings">
          <FormAlert form={f} />
          <Csrf token={c.get('session')?.csrf} />
          <Checkboxes
            form={f}
            name="teams"
            legend="Default teams"
            options={teams.map((t): [string, string] => [t.team_id, t.team_alias ?? t.team_id])}
            checked={list(f.values, 'teams')}
            hint="New users join these teams as members."
          />
          <Checkbox
            form={f}
            name="no_default_models"
            label="no-default-models: new users can only create keys inside a team"
            checked={str(f.values, 'no_default_models') === 'on'}
          />
          <ModelsField form={f} label="Default models" rows={2} hint="Used when no-default-models is off. Comma or newline separated; empty means none." />
          <Select form={f} name="user_role" label="Default role" options={DEFAULT_ROLES} />
          <BudgetFields form={f} whose="personal" />
          <button type="submit">Save settings</button>
        </form>
      ) : (
        <dl class="facts">
          <dt>Default teams</dt>
          <dd>{settings.teams.length ? settings.teams.map((t) => teamName(t.team_id)).join(', ') : 'none'}</dd>
          <dt>Default models</dt>
          <dd>{settings.models.length ? settings.models.join(', ') : 'none'}</dd>
          <dt>Default role</dt>
          <dd>{settings.user_role}</dd>
          <dt>Personal max budget</dt>
          <dd>
            {formatUsd(settings.max_budget)} ({resetLabel(settings.budget_duration)})
          </dd>
        </dl>
      )}
    </Layout>,
    status,
  );
}

export const settingsPages = new Hono<AppEnv>()
  .get('/settings', (c) => settingsPage(c, null))
  .post('/settings', async (c) => {
    const actor = actorOf(c);
    const values = await readForm(c);
    const form = emptyForm('settings', {
      teams: list(values, 'teams'),
      no_default_models: str(values, 'no_default_models') === 'on' ? 'on' : 'off',
      models: str(values, 'models'),
      user_role: str(values, 'user_role'),
      max_budget: str(values, 'max_budget'),
      budget_duration: str(values, 'budget_duration'),
    });
    const input = parseForm(form, SettingsPatch, {
      teams: checked('Choose among the listed teams.'),
      models: { ...models(), read: (v) => (str(v, 'no_default_models') === 'on' ? [NO_DEFAULT_MODELS] : splitModels(str(v, 'models'))) },
      user_role: choice('Choose internal_user or internal_user_viewer.', ''),
      ...budgetInputs,
    });
    if (!input) return settingsPage(c, form, 400);
    const deps = c.get('deps');
    try {
      // Teams that stay default keep their per-team settings (member budget, role).
      const current = await deps.settings.read(actor);
      const teams = (input.teams ?? []).map((id) => (typeof id === 'string' ? (current.teams.find((t) => t.team_id === id) ?? id) : id));
      await deps.settings.update(actor, { ...input, teams });
      return redirectWithFlash(c, '/ui/settings', 'Default user settings saved.');
    } catch (err) {
      const e = applyError(form, err, FIELDS, { team_id: 'teams' });
      return settingsPage(c, form, statusOf(e) as Status);
    }
  });
