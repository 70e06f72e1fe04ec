import { Hono } from 'hono';
import { MASTER_KEY_USER_ID, readsEverything } from '../../auth/roles';
import type { BudgetLine, SpendShare, UsageSummary } from '../../spend/usage';
import { USAGE_DAYS } from '../../spend/usage';
import type { AppEnv } from '../core/env';
import { emptyForm } from './form-state';
import { formatDate, formatUsd, resetLabel } from './format';
import { Input } from './forms';
import { BudgetAlertsCell } from './budget-alerts';
import { chrome, Layout } from './layout';
import { actorOf, render, type PageContext } from './render';
import { Table } from './table';

/**
 * The usage pages: spend over the last 30 days by day (an SVG chart drawn here, on
 * the server: the pages' CSP allows no script and no style attribute, so the chart
 * uses SVG presentation attributes only), by model, by member for a team, and the
 * budgets that apply with what is left and when they reset.
 */

/** Model calls cost fractions of a cent: more digits than the budgets' dollars. */
const spent = (n: number) => `$${n.toFixed(6)}`;
const BAR = '#0a58ca';
const GRID = '#d0d7de';
const TEXT = '#4b5563';

/** Spend per day as bars; each bar carries its day and amount as a tooltip (<title>), the table below has the same numbers. */
export function DailyChart(p: { days: UsageSummary['days']; id: string }) {
  // A narrow drawing, so its text stays readable when a phone scales it down.
  const width = 480;
  const height = 200;
  const left = 92;
  const bottom = 28;
  const top = 12;
  const plot = height - bottom - top;
  const max = Math.max(...p.days.map((d) => d.spend));
  const slot = (width - left - 8) / p.days.length;
  const y = (v: number) => top + plot - (max > 0 ? (v / max) * plot : 0);
  const ticks = max > 0 ? [0, max / 2, max] : [0];
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      role="img"
      aria-labelledby={`${p.id}-title ${p.id}-desc`}
      class="chart"
      font-family="system-ui, sans-serif"
      font-size="14"
    >
      <title id={`${p.id}-title`}>Spend per day, last {USAGE_DAYS} days</title>
      <desc id={`${p.id}-desc`}>
        From {p.days[0]?.day} to {p.days[p.days.length - 1]?.day}; the highest day {spent(max)}.
      </desc>
      {ticks.map((t) => (
        <g>
          <line x1={left} x2={width - 4} y1={y(t)} y2={y(t)} stroke={GRID} stroke-width="1" />
          <text x={left - 6} y={y(t) + 4} text-anchor="end" fill={TEXT}>
            {`$${t.toPrecision(2)}`.replace(/^\$0\.0+$/, '$0')}
          </text>
        </g>
      ))}
      {p.days.map((d, i) => {
        const h = top + plot - y(d.spend);
        const x = left + i * slot + slot * 0.15;
        return (
          <g>
            <rect x={x.toFixed(1)} y={y(d.spend).toFixed(1)} width={(slot * 0.7).toFixed(1)} height={Math.max(h, d.spend > 0 ? 1 : 0).toFixed(1)} fill={BAR} data-day={d.day}>
              <title>{`${d.day}: ${spent(d.spend)}`}</title>
            </rect>
            {(p.days.length - 1 - i) % 7 === 0 ? (
              <text x={(i === p.days.length - 1 ? x + slot * 0.7 : x + slot * 0.35).toFixed(1)} y={height - 8} text-anchor={i === p.days.length - 1 ? 'end' : 'middle'} fill={TEXT}>
                {d.day.slice(5)}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

/** A share of the total as a bar inside a table cell (SVG, so no style attribute). */
const ShareBar = (p: { spend: number; total: number }) => (
  <svg width="100" height="12" viewBox="0 0 100 12" aria-hidden="true" focusable="false">
    <rect width="100" height="12" fill="#f3f5f8" />
    <rect width={p.total > 0 ? ((p.spend / p.total) * 100).toFixed(1) : '0'} height="12" fill={BAR} />
  </svg>
);

function SharesTable(p: { caption: string; heading: string; shares: SpendShare[]; total: number; name?: (s: SpendShare) => string }) {
  return (
    <Table
      rows={p.shares}
      empty={<>No model requests in the last {USAGE_DAYS} days.</>}
      columns={[p.heading, 'Requests', 'Spend', 'Share']}
      caption={p.caption}
      row={(s) => (
        <tr>
          <td>{p.name ? p.name(s) : s.name}</td>
          <td>{s.requests}</td>
          <td>{spent(s.spend)}</td>
          <td>
            <ShareBar spend={s.spend} total={p.total} /> {p.total > 0 ? `${Math.round((s.spend / p.total) * 100)}%` : '—'}
          </td>
        </tr>
      )}
    />
  );
}

function Spend(p: { summary: UsageSummary }) {
  const { summary } = p;
  const activeDays = summary.days.filter((d) => d.spend > 0);
  return (
    <>
      <h2 id="by-day">Spend by day</h2>
      <p>
        <strong>{spent(summary.total)}</strong> in {summary.requests} request{summary.requests === 1 ? '' : 's'} over the last {USAGE_DAYS} days (UTC).
        {summary.truncated ? ` Only the newest ${summary.requests} requests are counted.` : ''}
      </p>
      <DailyChart days={summary.days} id="daily" />
      {activeDays.length ? (
        <details class="card">
          <summary>Spend by day as a table</summary>
          <Table
            rows={activeDays}
            empty={null}
            columns={['Day', 'Spend']}
            row={(d) => (
              <tr>
                <td>{d.day}</td>
                <td>{spent(d.spend)}</td>
              </tr>
            )}
          />
        </details>
      ) : null}
      <h2 id="by-model">Spend by model</h2>
      <SharesTable caption={`Last ${USAGE_DAYS} days`} heading="Model" shares={summary.models} total={summary.total} />
    </>
  );
}

function Budgets(p: { budgets: BudgetLine[] }) {
  return (
    <>
      <h2 id="budgets">Budgets</h2>
      <Table
        rows={p.budgets}
        empty="No budget applies."
        columns={['Budget', 'Spend this period', 'Max budget', 'Remaining', 'Next reset', 'Alerts this period']}
        labelledBy="budgets"
        row={(b) => (
          <tr>
            <td>{b.kind === 'team' && b.team_id ? <a href={`/ui/teams/${encodeURIComponent(b.team_id)}`}>{b.label}</a> : b.label}</td>
            <td>{spent(b.spend)}</td>
            <td>
              {formatUsd(b.max_budget)}
              {typeof b.soft_budget === 'number' ? ` (alert at ${formatUsd(b.soft_budget)})` : ''}
            </td>
            <td>{b.remaining === null ? 'no limit' : formatUsd(b.remaining)}</td>
            <td>{b.budget_reset_at ? `${formatDate(b.budget_reset_at)} (${resetLabel(b.budget_duration)})` : 'never'}</td>
            <td>
              <BudgetAlertsCell alerts={b.alerts} />
            </td>
          </tr>
        )}
      />
    </>
  );
}

async function userUsagePage(c: PageContext) {
  const actor = actorOf(c);
  const deps = c.get('deps');
  const asked = c.req.query('user_id')?.trim();
  // Admins may type an email into the "whose usage" box.
  const userId = asked ? (asked.includes('@') ? ((await deps.users.byEmail(asked.toLowerCase()))?.user_id ?? asked) : asked) : actor.userId;
  const { user, summary, budgets } = await deps.usage.ofUser(actor, userId);
  const own = userId === actor.userId;
  const name = user?.user_email ?? (userId === MASTER_KEY_USER_ID ? 'admin (master key)' : userId);
  return render(
    c,
    <Layout title={own ? 'Your usage' : `Usage: ${name}`} {...await chrome(c, '/ui/usage')}>
      {readsEverything(actor) ? (
        <form method="get" action="/ui/usage" class="card" aria-label="Whose usage">
          <div class="inline-fields">
            <Input form={emptyForm('usage', { user_id: asked ?? '' })} name="user_id" label="User" hint="A user id or email; empty for your own." />
          </div>
          <button type="submit">Show usage</button>
        </form>
      ) : null}
      <Spend summary={summary} />
      <Budgets budgets={budgets} />
    </Layout>,
  );
}

async function teamUsagePage(c: PageContext) {
  const actor = actorOf(c);
  const deps = c.get('deps');
  const { team, summary, budgets, members } = await deps.usage.ofTeam(actor, c.req.param('id') ?? '');
  const teamHref = `/ui/teams/${encodeURIComponent(team.team_id)}`;
  const emails = new Map(members.map((m) => [m.user_id, m.user_email ?? m.user_id]));
  return render(
    c,
    <Layout title={`Usage: team ${team.team_alias ?? team.team_id}`} {...await chrome(c, '/ui/teams')}>
      <p>
        <a href={teamHref}>← Back to the team</a>
      </p>
      <Spend summary={summary} />
      <h2 id="by-member">Spend by member</h2>
      <SharesTable caption={`Last ${USAGE_DAYS} days`} heading="Member" shares={summary.users} total={summary.total} name={(s) => (s.name ? (emails.get(s.name) ?? s.name) : 'no user')} />
      <Budgets budgets={budgets} />
      <h3 id="member-budgets">Member budgets</h3>
      <Table
        rows={members}
        empty="No members yet."
        columns={['Member', 'Role', 'Spend this period', 'Max budget', 'Remaining', 'Next reset']}
        labelledBy="member-budgets"
        row={(m) => (
          <tr>
            <td>{m.user_email ?? m.user_id}</td>
            <td>{m.role}</td>
            <td>{spent(m.spend)}</td>
            <td>{formatUsd(m.max_budget)}</td>
            <td>{m.remaining === null ? 'no limit' : formatUsd(m.remaining)}</td>
            <td>{m.budget_reset_at ? formatDate(m.budget_reset_at) : 'never'}</td>
          </tr>
        )}
      />
    </Layout>,
  );
}

export const usagePages = new Hono<AppEnv>().get('/usage', userUsagePage).get('/teams/:id/usage', teamUsagePage);
