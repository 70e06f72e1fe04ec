import * as z from 'zod/mini';
import { USER_ROLES } from '../auth/roles';
import { DURATION_RULE, isDuration } from '../budgets/duration';
import { roundMoney, unstorable } from '../db/limits';

/**
 * Field schemas the entities' inputs share (zod mini, LiteLLM's names). The route
 * definitions validate JSON bodies with the entities' schemas built from these
 * (`teams/inputs.ts`, `users/inputs.ts`, …), and the pages validate their form posts
 * with the same ones: one rule, one message, wherever a value comes from.
 */

export const UserRole = z.enum(USER_ROLES);
/** USD: 0 to 1e12, rounded to 10 decimal places (see roundMoney). */
export const Money = z.number().check(z.nonnegative(), z.maximum(1e12), z.overwrite(roundMoney));
export const DurationString = z.string().check(z.refine(isDuration, { message: DURATION_RULE }), z.meta({ examples: ['1mo'] }));
/** Free-form JSON, within what one DynamoDB item can hold (see db/limits.ts). */
export const Metadata = z.record(z.string(), z.unknown()).check(
  z.superRefine((value, ctx) => {
    const problem = unstorable(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
  }),
);
export const Limit = z.number().check(z.int(), z.nonnegative());
export const Email = z.email().check(z.maxLength(254));
export const ModelList = z.array(z.string().check(z.minLength(1), z.maxLength(256))).check(z.maxLength(500));
export const Id = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9_.@:-]+$/, { message: 'may only hold letters, digits and _ . @ : -' }));
/** A name people type (team and key aliases). */
export const Alias = z.string().check(z.trim(), z.minLength(1), z.maxLength(256));
/** A password as sent; its policy (length, not the email) is the service's, with its own messages. */
export const Password = z.string().check(z.maxLength(1024));
