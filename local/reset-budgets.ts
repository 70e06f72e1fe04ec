/**
 * `npm run reset-budgets`: one run of the scheduled budget reset, now, against the
 * local stack's table (the one `npm start` uses), then the summary as JSON:
 * how many keys, users, teams and memberships were reset, and how many expired
 * reservations were released. Exits 1 when the run fails.
 *
 *   ONRAMP_DYNAMODB_ENDPOINT   default http://127.0.0.1:$ONRAMP_DYNAMODB_PORT (npm start's DynamoDB Local)
 *   ONRAMP_DYNAMODB_PORT       default 8000, as for npm start
 *   ONRAMP_TABLE_NAME          default onramp
 *
 * On AWS the same job is the budget-reset function (invoke it), or POST /budget/reset
 * with the master key.
 */
import { resetJobDeps, runResetJob } from '../shared/spend/job';
import { loadTableConfig } from '../shared/config/table-config';

async function main(): Promise<number> {
  const env = process.env;
  try {
    const config = loadTableConfig({
      ...env,
      ONRAMP_DYNAMODB_ENDPOINT: env.ONRAMP_DYNAMODB_ENDPOINT || `http://127.0.0.1:${env.ONRAMP_DYNAMODB_PORT || 8000}`,
      ONRAMP_TABLE_NAME: env.ONRAMP_TABLE_NAME || 'onramp',
    });
    const summary = await runResetJob(resetJobDeps(config));
    console.log(JSON.stringify(summary, null, 2));
    return 0;
  } catch (err) {
    console.error(`budget reset failed: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof AggregateError) for (const e of err.errors) console.error(`  - ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

void main().then((code) => process.exit(code));
