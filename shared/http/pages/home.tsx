import { Hono } from 'hono';
import { MASTER_KEY_USER_ID, readsEverything, type Principal } from '../../auth/roles';
import { DomainError } from '../../core/errors';
import { mayCreateKeysIn } from '../../keys/access';
import { GenerateKey } from '../../keys/inputs';
import type { KeyItem } from '../../keys/model';
import { NO_DEFAULT_MODELS } from '../../keys/service';
import { effectiveMemberBudget, type MembershipItem, type TeamItem } from '../../teams/model';
import type { UserItem } from '../../users/model';
import type { AppEnv } from '../core/env';
import { MoneyInput, ModelsField } from './fields';
import { redirectWithFlash } from './flash';
import { choice, models, money, parseForm, text } from './form-input';
import { applyError, emptyForm, readForm, str, type FormState } from './form-state';
import { formatDate, formatUsd, KEY_LIFETIMES } from './format';
import { CopyField, Csrf, FormAlert, Input, Select } from './forms';
import { chrome, Layout } from './layout';
import { inPlainWords } from './plain-words';
import { actorOf, render, statusOf, type PageContext } from './render';
import { RecentRequests } from './requests';
import { Table } from './table';
import { RotatedSecretsWaiting } from './rotated-keys';

/** Viewers look, they do not create or delete keys. */
export const canWriteKeys = (p: Principal) => p.role === 'proxy_admin' || p.role === 'internal_user';

const KEY_FIELDS = ['key_alias', 'team_id', 'models', 'max_budget', 'soft_budget', 'duration'] as const;

type HomeData = {
  user: UserItem | undefined;
  teams: TeamItem[];
  memberships: Map<string, MembershipItem>;
  keys: KeyItem[];
  owners: Map<string, string>;
};

async function loadHome(c: PageContext, actor: Principal): Promise<HomeData> {
  const deps = c.get('deps');
  const [user, teams, memberships, keys] = await Promise.all([
    deps.users.get(actor.userId),
    deps.teams.list(actor),
    deps.teams.membershipsOf(actor.userId),
    readsEverything(actor) ? deps.keys.list(actor, { page: 1, size: 1000 }).then((p) => p.keys) : deps.keys.ofUser(actor.userId),
  ]);
  const ownerIds = [...new Set(keys.map((k) => k.user_id).filter((id): id is string => !!id && id !== actor.userId))];
  const owners = new Map<string, string>();
  for (const u of await Promise.all(ownerIds.map((id) => deps.users.get(id)))) if (u) owners.set(u.user_id, u.user_email ?? u.user_id);
  keys.sort((a, b) => b.created_at.localeCompare(a.created_at));
  return { user, teams, memberships: new Map(memberships.map((m) => [m.team_id, m])), keys, owners };
}

const teamName = (teams: TeamItem[], id: string | null) => (id ? (teams.find((t) => t.team_id === id)?.team_alias ?? id) : 'No team (personal)');

/** What a member can still spend in a team: the smaller of what is left of their budget and of the team's (null: no limit). */
function remainingInTeam(t: TeamItem, m: MembershipItem): number | null {
  const left = [
    t.max_budget === null || t.max_budget === undefined ? null : t.max_budget - t.spend - (t.reserved_spend ?? 0),
    effectiveMemberBudget(m, t) === null ? null : effectiveMemberBudget(m, t)! - m.spend - (m.reserved_spend ?? 0),
  ].filter((v): v is number => v !== null);
  return left.length ? Math.max(0, Math.min(...left)) : null;
}

function TeamsTable(p: { data: HomeData; all: boolean }) {
  return (
    <Table
      rows={p.data.teams}
      empty={p.all ? 'No teams yet.' : 'You are not in any team yet. Ask an admin to add you to one.'}
      columns={['Team', 'Models', 'Team spend / budget', p.all ? null : 'Your role', p.all ? null : 'Your spend / budget in team', p.all ? null : 'You can still spend']}
      row={(t) => {
        const m = p.data.memberships.get(t.team_id);
        return (
          <tr>
            <td>
              <a href={`/ui/teams/${encodeURIComponent(t.team_id)}`}>{t.team_alias ?? t.team_id}</a>
            </td>
            <td>{t.models.length ? t.models.join(', ') : 'all models'}</td>
            <td>
              {formatUsd(t.spend)} / {formatUsd(t.max_budget)}
            </td>
            {p.all ? null : <td>{m?.role ?? '—'}</td>}
            {p.all ? null : (
              <td>
                {m ? (
                  <>
                    {formatUsd(m.spend)} / {formatUsd(effectiveMemberBudget(m, t))}
                  </>
                ) : (
                  '—'
                )}
              </td>
            )}
            {p.all ? null : <td>{m ? formatUsd(remainingInTeam(t, m)) : '—'}</td>}
          </tr>
        );
      }}
    />
  );
}

function KeysTable(p: { data: HomeData; actor: Principal; all: boolean }) {
  return (
    <Table
      rows={p.data.keys}
      empty="No keys yet."
      columns={['Alias', 'Key', 'Team', p.all ? 'Owner' : null, 'Spend', 'Max budget', 'Expires', canWriteKeys(p.actor) ? 'Actions' : null]}
      row={(k) => (
        <tr>
          <td>{k.key_alias ?? <span class="muted">—</span>}</td>
          <td>
            <code>{k.key_name}</code>
            {k.blocked ? ' (blocked)' : ''}
          </td>
          <td>{teamName(p.data.teams, k.team_id)}</td>
          {p.all ? <td>{k.user_id ? (k.user_id === p.actor.userId ? 'you' : (p.data.owners.get(k.user_id) ?? k.user_id)) : '—'}</td> : null}
          <td>{formatUsd(k.spend)}</td>
          <td>{formatUsd(k.max_budget)}</td>
          <td>{k.expires ? formatDate(k.expires) : 'never'}</td>
          {canWriteKeys(p.actor) ? (
            <td>
              <a href={`/ui/keys/${k.token}/delete`} aria-label={`Delete key ${k.key_alias ?? k.key_name}`}>
                Delete
              </a>
            </td>
          ) : null}
        </tr>
      )}
    />
  );
}

/** The "select a team" rule, said before the user tries (the API's refusal is shown if they do anyway). */
const noDefaultModelsHint = 'You have no default models: keys can only be created inside a team. Select a team.';

function CreateKeyForm(p: { c: PageContext; actor: Principal; data: HomeData; form: FormState }) {
  const restricted = p.data.user?.models.includes(NO_DEFAULT_MODELS) ?? false;
  // Only teams where the key would be allowed: a choice that can only be refused is a dead end.
  const open = p.data.teams.filter((t) => mayCreateKeysIn(p.actor, t));
  const closed = p.data.teams.filter((t) => !open.includes(t));
  const options: Array<[string, string]> = [
    ['', restricted ? 'Select a team' : 'No team (personal key)'],
    ...open.map((t): [string, string] => [t.team_id, t.team_alias ?? t.team_id]),
  ];
  return (
    <form method="post" action="/ui/keys" class="card" novalidate aria-labelledby="create-key-heading">
      <h2 id="create-key-heading">Create a key</h2>
      {restricted ? (
        <p class="notice" id="no-default-models">
          {noDefaultModelsHint}
        </p>
      ) : null}
      {closed.length ? (
        <p class="notice" id="teams-closed-to-keys">
          {open.length === 0 && restricted ? 'None of your teams lets its members create keys yet. ' : ''}
          Not listed, because members may not create keys there: {closed.map((t) => t.team_alias ?? t.team_id).join(', ')}. Ask an admin of the team to
          allow it.
        </p>
      ) : null}
      <FormAlert form={p.form} />
      <Csrf token={p.c.get('session')?.csrf} />
      <Select form={p.form} name="team_id" label="Team" options={options} hint="The key can use the team's models, within its budgets." />
      <Input form={p.form} name="key_alias" label="Key name" hint="A unique name to recognise the key, e.g. my-laptop." />
      <ModelsField form={p.form} rows={2} hint="Comma or newline separated; empty means every model the team (or you) may use." />
      <MoneyInput form={p.form} name="max_budget" label="Max budget (USD)" hint="Empty means the team's member budget applies." />
      <MoneyInput form={p.form} name="soft_budget" label="Email me at (USD)" hint="A soft budget: when the key's spend reaches it, you get an email (once a budget period). Calls go on." />
      <Select form={p.form} name="duration" label="Expires after" options={KEY_LIFETIMES} hint="The key stops working then; you can create another." />
      <button type="submit">Create key</button>
    </form>
  );
}

function NewKey(p: { secret: string; item: KeyItem; teams: TeamItem[] }) {
  return (
    <section class="card" aria-labelledby="new-key-heading">
      <h2 id="new-key-heading">Your new key</h2>
      <p class="notice">
        Copy this key now and keep it somewhere safe: <strong>it is shown only once</strong>. onramp stores only its fingerprint.
      </p>
      <CopyField id="new-key" label={`Key ${p.item.key_alias ?? p.item.key_name} (team: ${teamName(p.teams, p.item.team_id)})`} value={p.secret} />
    </section>
  );
}

async function homePage(c: PageContext, form: FormState, opts: { created?: { secret: string; item: KeyItem }; status?: 200 | 400 | 401 | 403 | 404 | 409 } = {}) {
  const actor = actorOf(c);
  const [data, requests] = await Promise.all([loadHome(c, actor), c.get('deps').spendLogs.rows(actor, { limit: 20 })]);
  const all = readsEverything(actor);
  const name = actor.userId === MASTER_KEY_USER_ID ? 'admin' : (data.user?.user_email ?? actor.userId);
  return render(
    c,
    <Layout title="Keys" {...await chrome(c, '/ui')}>
      <p>
        Signed in as <strong>{name}</strong> ({actor.role}).
        {data.user ? (
          <>
            {' '}
            Your spend: {formatUsd(data.user.spend)} of {formatUsd(data.user.max_budget)}.
          </>
        ) : null}
      </p>
      {opts.created ? <NewKey {...opts.created} teams={data.teams} /> : null}
      <RotatedSecretsWaiting keys={data.keys} actor={actor} csrf={c.get('session')?.csrf} />
      {canWriteKeys(actor) ? <CreateKeyForm c={c} actor={actor} data={data} form={form} /> : null}
      <h2>{all ? 'All keys' : 'Your keys'}</h2>
      <KeysTable data={data} actor={actor} all={all} />
      <h2>{all ? 'All teams' : 'Your teams'}</h2>
      <TeamsTable data={data} all={all} />
      <h2>{all ? 'Recent model requests' : 'Your recent model requests'}</h2>
      <RecentRequests rows={requests} all={all} />
    </Layout>,
    opts.status ?? 200,
  );
}

export const homePages = new Hono<AppEnv>()
  .get('/', async (c) => homePage(c, emptyForm('key')))
  .post('/keys', async (c) => {
    const actor = actorOf(c);
    const values = await readForm(c);
    const form = emptyForm('key', Object.fromEntries(KEY_FIELDS.map((f) => [f, str(values, f)])));
    const input = parseForm(form, GenerateKey, {
      team_id: choice('Choose one of your teams.'),
      key_alias: text(undefined, null),
      models: models(true),
      max_budget: money(undefined),
      soft_budget: money(undefined),
      duration: choice('Choose one of the listed lifetimes.', undefined),
    });
    if (!input) return homePage(c, form, { status: 400 });
    try {
      const created = await c.get('deps').keys.generate(actor, input);
      // Rendered from this response, never stored nor put in a URL; a reload of /ui no longer shows it.
      return homePage(c, emptyForm('key'), { created });
    } catch (err) {
      const teams = err instanceof DomainError ? await c.get('deps').teams.list(actor) : [];
      const e = applyError(form, inPlainWords(err, teams, actor.userId), KEY_FIELDS, { key: 'key_alias', team_member_permissions: 'team_id' });
      return homePage(c, form, { status: statusOf(e) as 400 });
    }
  })
  .get('/keys/:token/delete', async (c) => {
    const actor = actorOf(c);
    const item = await c.get('deps').keys.forAction(actor, 'delete', c.req.param('token'));
    const teams = item.team_id ? [await c.get('deps').teams.get(item.team_id)].filter((t): t is TeamItem => !!t) : [];
    return render(
      c,
      <Layout title="Delete key" {...await chrome(c, '/ui')}>
        <form method="post" action={`/ui/keys/${item.token}/delete`} class="card">
          <Csrf token={c.get('session')?.csrf} />
          <p>
            Delete the key <strong>{item.key_alias ?? item.key_name}</strong> (<code>{item.key_name}</code>, team: {teamName(teams, item.team_id)})? Anything
            using it stops working at once. This cannot be undone.
          </p>
          <button type="submit" class="danger">
            Delete key
          </button>{' '}
          <a class="button secondary" href="/ui">
            Cancel
          </a>
        </form>
      </Layout>,
    );
  })
  .post('/keys/:token/delete', async (c) => {
    const actor = actorOf(c);
    const item = await c.get('deps').keys.forAction(actor, 'delete', c.req.param('token'));
    await c.get('deps').keys.delete(actor, { keys: [item.token] });
    return redirectWithFlash(c, '/ui', `Key ${item.key_alias ?? item.key_name} deleted.`);
  });
