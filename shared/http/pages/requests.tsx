import type { SpendLogRow } from '../../spend/logs';
import { formatDate } from './format';

/** A request's cost: sub-cent amounts matter for model calls, so more digits than the budgets' dollars. */
const cost = (n: number) => `$${n.toFixed(6)}`;

/** The latest model calls (from /spend/logs): when, which model, tokens, cost, and whether the cost is estimated. */
export function RecentRequests(p: { rows: SpendLogRow[]; all: boolean }) {
  if (p.rows.length === 0) return <p>No model requests in the last 30 days.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Model</th>
          {p.all ? <th scope="col">User</th> : null}
          <th scope="col">Tokens in / out</th>
          <th scope="col">Cost</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {p.rows.map((r) => (
          <tr>
            <td>{formatDate(r.startTime)}</td>
            <td>{r.model_group}</td>
            {p.all ? <td>{r.user || '—'}</td> : null}
            <td>
              {r.prompt_tokens} / {r.completion_tokens}
            </td>
            <td>
              {cost(r.spend)}
              {r.metadata.estimated ? ' (estimated)' : ''}
            </td>
            <td>{r.status}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
