import type { Child } from 'hono/jsx';
import { USER_ROLES } from '../../auth/roles';
import { TEAM_MEMBER_PERMISSIONS, TEAM_ROLES } from '../../teams/model';
import { choice, checked, models, money, text, type FormField } from './form-input';
import type { FormState } from './form-state';
import { RESET_PERIODS } from './format';
import { Input, Select, TextArea } from './forms';

/**
 * The fields several forms share (teams new and edited, users, default settings,
 * keys): how each is drawn, and how its post is read for the domain's schema.
 */

const asOptions = (values: readonly string[]) => values.map((v): [string, string] => [v, v]);
export const TEAM_ROLE_OPTIONS = asOptions(TEAM_ROLES);
export const USER_ROLE_OPTIONS = asOptions(USER_ROLES);
export const PERMISSION_OPTIONS = asOptions(TEAM_MEMBER_PERMISSIONS);

export const PERIOD = 'Choose one of the reset periods.';

/** A max budget and its reset period; `periods` holds the stored one when editing (see periodOptions). */
export const budgetInputs: Record<string, FormField> = { max_budget: money(), budget_duration: choice(PERIOD) };

/** What the team forms (new and edited) share. */
export const teamInputs: Record<string, FormField> = {
  team_alias: text((issue) => (issue.code === 'too_big' ? 'Use at most 256 characters.' : 'Give the team a name.'), ''),
  models: models(),
  ...budgetInputs,
  team_member_budget: money(),
};

/** A permission the form does not offer (a tampered post). */
export const permissionsInput = checked((issue, value) => `Unknown permission: ${(value as string[])[issue.path[1] as number] ?? ''}.`);

/** An amount in USD. */
export const MoneyInput = (p: { form: FormState; name: string; label: string; hint?: Child }) => (
  <Input form={p.form} name={p.name} label={p.label} type="number" step="0.01" min="0" hint={p.hint} />
);

/** Models typed one per line or comma separated. */
export const ModelsField = (p: { form: FormState; label?: string; rows?: number; hint: Child }) => (
  <TextArea form={p.form} name="models" label={p.label ?? 'Models'} rows={p.rows} hint={p.hint} />
);

/** A team's or a user's max budget and its reset period. */
export function BudgetFields(p: {
  form: FormState;
  whose: 'team' | 'personal';
  periods?: Array<[string, string]>;
  hints?: { budget?: Child; period?: Child };
}) {
  const personal = p.whose === 'personal';
  return (
    <>
      <MoneyInput form={p.form} name="max_budget" label={personal ? 'Personal max budget (USD)' : 'Max budget (USD)'} hint={p.hints?.budget} />
      <Select
        form={p.form}
        name="budget_duration"
        label={personal ? 'Reset personal budget' : 'Reset budget'}
        options={p.periods ?? RESET_PERIODS}
        hint={p.hints?.period}
      />
    </>
  );
}

/** The hints of an edited budget: what changing it does. */
export const EDIT_BUDGET_HINTS = { budget: 'Empty: no limit. Spend so far is kept.', period: 'A new period starts from now.' };

export const EMAIL = 'Enter an email address, e.g. name@example.com.';
export const TEAM_ROLE = 'Choose admin or user.';
export const USER_ROLE = 'Choose a role.';
