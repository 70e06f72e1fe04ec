import type { OutgoingEmail } from './mailer';
import { escapeHtml } from './templates';

export const PASSWORD_RESET_SUBJECT = 'Reset your onramp password';

/**
 * The forgot-password email: the link (as a button and written out, for mail
 * clients that strip either), that it works once and until when, and what to do
 * if the reader did not ask for it.
 * @example passwordResetEmail({ to: 'a@b.com', link: 'https://x/ui/reset-password?id=…', expiresAt })
 */
export function passwordResetEmail(input: { to: string; link: string; expiresAt: string }): OutgoingEmail {
  const until = `${input.expiresAt.slice(0, 10)} ${input.expiresAt.slice(11, 16)} UTC`;
  const text = [
    'Hi,',
    '',
    'Someone (hopefully you) asked to reset the password of your onramp account.',
    '',
    'Open this link to choose a new password:',
    input.link,
    '',
    `The link works once and expires on ${until}. Setting a new password signs you out everywhere.`,
    'If you did not ask for this, ignore this email: your password stays as it is.',
    '',
  ].join('\n');
  const link = escapeHtml(input.link);
  const html = `<!doctype html>
<html lang="en">
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2937">
<p>Hi,</p>
<p>Someone (hopefully you) asked to reset the password of your onramp account.</p>
<p><a href="${link}" style="display: inline-block; padding: 10px 16px; background: #2563eb; color: #ffffff; border-radius: 6px; text-decoration: none">Choose a new password</a></p>
<p>Or copy this link into your browser:<br><a href="${link}">${link}</a></p>
<p>The link works once and expires on ${escapeHtml(until)}. Setting a new password signs you out everywhere.</p>
<p style="color: #6b7280">If you did not ask for this, ignore this email: your password stays as it is.</p>
</body>
</html>
`;
  return { to: input.to, subject: PASSWORD_RESET_SUBJECT, text, html };
}
