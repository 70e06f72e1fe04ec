import type { SpendLogRow } from '../../spend/logs';
import { formatDate } from './format';
import { Table } from './table';

/** A request's cost: sub-cent amounts matter for model calls, so more digits than the budgets' dollars. */
const cost = (n: number) => `$${n.toFixed(6)}`;

/** The latest model calls (from /spend/logs): when, which model, tokens, cost, and whether the cost is estimated. */
export function RecentRequests(p: { rows: SpendLogRow[]; all: boolean }) {
  return (
    <Table
      rows={p.rows}
      empty="No model requests in the last 30 days."
      columns={['When', 'Model', p.all ? 'User' : null, 'Tokens in / out', 'Cost', 'Status']}
      row={(r) => (
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
      )}
    />
  );
}
