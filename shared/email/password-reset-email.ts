import type { OutgoingEmail } from './mailer';
import { linkEmail } from './templates';

export const PASSWORD_RESET_SUBJECT = 'Reset your onramp password';

/**
 * The forgot-password email: the link, that it works once and until when, and what
 * to do if the reader did not ask for it.
 * @example passwordResetEmail({ to: 'a@b.com', link: 'https://x/ui/reset-password?id=…', expiresAt })
 */
export function passwordResetEmail(input: { to: string; link: string; expiresAt: string }): OutgoingEmail {
  return linkEmail({
    to: input.to,
    subject: PASSWORD_RESET_SUBJECT,
    greeting: 'Hi,',
    intro: 'Someone (hopefully you) asked to reset the password of your onramp account.',
    action: 'Open this link to choose a new password:',
    button: 'Choose a new password',
    link: input.link,
    expiresAt: input.expiresAt,
    afterExpiry: 'Setting a new password signs you out everywhere.',
    footnote: 'If you did not ask for this, ignore this email: your password stays as it is.',
  });
}
