import type { OutgoingEmail } from './mailer';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export type OnboardingEmailInput = {
  to: string;
  /** The onboarding link, written out in full in both bodies. */
  link: string;
  /** ISO timestamp after which the link no longer works. */
  expiresAt: string;
  /** How to greet the recipient (their alias), when known. User-provided: escaped in HTML. */
  name?: string | null;
};

export const ONBOARDING_SUBJECT = "You're invited to onramp";

/**
 * The invitation email: where to set a password, that the link works once, and
 * until when. The link appears as text as well as a button, so it survives mail
 * clients that strip links or HTML.
 * @example onboardingEmail({ to: 'a@b.com', link: 'https://x/ui/onboarding?id=…', expiresAt })
 */
export function onboardingEmail(input: OnboardingEmailInput): OutgoingEmail {
  const until = formatUtc(input.expiresAt);
  const greeting = input.name ? `Hi ${input.name},` : 'Hi,';
  const text = [
    greeting,
    '',
    'You have been invited to onramp, where you can create your own API keys for AI models within your team.',
    '',
    'Open this link to set your password and sign in:',
    input.link,
    '',
    `The link works once and expires on ${until}. If it has expired, ask your administrator for a new one.`,
    "If you did not expect this invitation, you can ignore this email; no account is activated until the link is used.",
    '',
  ].join('\n');
  const link = escapeHtml(input.link);
  const html = `<!doctype html>
<html lang="en">
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2937">
<p>${escapeHtml(greeting)}</p>
<p>You have been invited to onramp, where you can create your own API keys for AI models within your team.</p>
<p><a href="${link}" style="display: inline-block; padding: 10px 16px; background: #2563eb; color: #ffffff; border-radius: 6px; text-decoration: none">Set your password</a></p>
<p>Or copy this link into your browser:<br><a href="${link}">${link}</a></p>
<p>The link works once and expires on ${escapeHtml(until)}. If it has expired, ask your administrator for a new one.</p>
<p style="color: #6b7280">If you did not expect this invitation, you can ignore this email; no account is activated until the link is used.</p>
</body>
</html>
`;
  return { to: input.to, subject: ONBOARDING_SUBJECT, text, html };
}

/** "2024-06-13 00:02 UTC": unambiguous for every reader, whatever their time zone. */
function formatUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
