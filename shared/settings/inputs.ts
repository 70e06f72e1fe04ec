import * as z from 'zod/mini';
import { DurationString, ModelList, Money, UserRole } from '../core/inputs';
import { TeamChoices } from '../teams/inputs';

/** A change to the default user settings: `/update/internal_user_settings` and the settings page validate with it. */
export const SettingsPatch = z
  .object({
    user_role: z.optional(UserRole),
    max_budget: z.optional(z.nullable(Money)),
    budget_duration: z.optional(z.nullable(DurationString)),
    models: z.optional(ModelList),
    teams: z.optional(TeamChoices),
  })
  .check(z.meta({ id: 'InternalUserSettingsPatch' }));
export type SettingsPatch = z.output<typeof SettingsPatch>;
