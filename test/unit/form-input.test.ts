/** Reading form posts for the domain's schemas: no DynamoDB, just the parsing and the words. */
import { choice, email, given, models, money, MONEY, number, parseForm, text } from '../../shared/http/pages/form-input';
import { emptyForm } from '../../shared/http/pages/form-state';
import { ModelEntry } from '../../shared/models/schema';
import { MemberRef, NewTeam } from '../../shared/teams/inputs';

const team = { team_alias: text('Give the team a name.', ''), models: models(), max_budget: money(), budget_duration: choice('Choose one of the reset periods.') };

test('form text becomes the values the schema wants: amounts as numbers, empty as null, models split and deduplicated', () => {
  const form = emptyForm('t', { team_alias: ' Lab ', models: 'a, b\nb', max_budget: '12.50', budget_duration: '' });
  expect(parseForm(form, NewTeam, { ...team, team_member_permissions: given(['/key/info']) })).toEqual({
    team_alias: 'Lab',
    models: ['a', 'b'],
    max_budget: 12.5,
    budget_duration: null,
    team_member_permissions: ['/key/info'],
  });
  expect(form.errors).toEqual({});
});

test("each refused field gets the page's words, all at once", () => {
  const form = emptyForm('t', { team_alias: '', models: '', max_budget: '-5', budget_duration: 'forever' });
  expect(parseForm(form, NewTeam, team)).toBeNull();
  expect(form.errors).toEqual({ team_alias: 'Give the team a name.', max_budget: MONEY, budget_duration: 'Choose one of the reset periods.' });

  const member = emptyForm('m', { user_email: 'Not An Email', role: 'owner' });
  expect(parseForm(member, MemberRef, { user_email: email('Enter an email.'), role: choice('Choose admin or user.', '') })).toBeNull();
  expect(member.errors).toEqual({ user_email: 'Enter an email.', role: 'Choose admin or user.' });
  // A problem with no field of its own on the form goes on the whole form, path and all.
  const none = emptyForm('m', { role: 'user' });
  expect(parseForm(none, MemberRef, { role: choice('Choose admin or user.', '') }, { aliases: { user_id: 'user_email' } })).toBeNull();
  expect(none.general).toBe('user_id: give user_id or user_email');
});

test('a nested schema: problems deep in it come back to the flat field that caused them', () => {
  const fields = { model_name: text('Name it.', ''), model: text(undefined, ''), input_per_million: number('Enter a number, 0 or more.', 1e6) };
  const build = (f: Record<string, unknown>) => ({ model_name: f.model_name, litellm_params: { model: f.model, ...(f.input_per_million === undefined ? {} : { input_cost_per_token: f.input_per_million }) } });
  const bad = emptyForm('model', { model_name: 'llama', model: 'openai/llama3', input_per_million: '-1' });
  expect(parseForm(bad, ModelEntry, fields, { build, aliases: { 'litellm_params.input_cost_per_token': 'input_per_million' } })).toBeNull();
  expect(bad.errors).toEqual({ input_per_million: 'Enter a number, 0 or more.' });

  const good = emptyForm('model', { model_name: 'llama', model: 'openai/llama3', input_per_million: '0.1' });
  expect(parseForm(good, ModelEntry, fields, { build })).toEqual({ model_name: 'llama', litellm_params: { model: 'openai/llama3', input_cost_per_token: 1e-7 } });
});
