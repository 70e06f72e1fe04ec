import * as z from 'zod/mini';
import { Email, Password } from '../core/inputs';

/** Password reset requests, typed once: `/password/*` and the pages' forms validate with these. */

/** The id from a reset link (the part after `?id=`). */
const ResetId = z.string().check(z.minLength(1), z.maxLength(256), z.meta({ description: 'the id in the emailed reset link' }));

export const ForgotPassword = z.object({ user_email: Email }).check(z.meta({ id: 'ForgotPasswordRequest' }));
export const ResetPassword = z.object({ reset_id: ResetId, password: Password }).check(z.meta({ id: 'ResetPasswordRequest' }));
