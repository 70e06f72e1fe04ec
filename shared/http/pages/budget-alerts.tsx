import { reachedWords, type AlertView } from '../../spend/alerts';
import { formatDate } from './format';

const STATUS_WORDS: Record<AlertView['status'], string> = {
  sent: 'emailed',
  pending: 'email on its way',
  failed: 'email failed (see the logs)',
  no_recipient: 'nobody to email',
};

/** The budget alerts of one budget's current period, in the words of their emails. */
export function BudgetAlertsCell(p: { alerts: AlertView[] }) {
  if (p.alerts.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="plain">
      {p.alerts.map((a) => (
        <li>
          Reached {reachedWords(a)} on {formatDate(a.at)}: {STATUS_WORDS[a.status]}
        </li>
      ))}
    </ul>
  );
}
