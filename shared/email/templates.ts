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
  return linkEmail({
    to: input.to,
    subject: ONBOARDING_SUBJECT,
    greeting: input.name ? `Hi ${input.name},` : 'Hi,',
    intro: 'You have been invited to onramp, where you can create your own API keys for AI models within your team.',
    action: 'Open this link to set your password and sign in:',
    button: 'Set your password',
    link: input.link,
    expiresAt: input.expiresAt,
    afterExpiry: 'If it has expired, ask your administrator for a new one.',
    footnote: 'If you did not expect this invitation, you can ignore this email; no account is activated until the link is used.',
  });
}

/**
 * An email whose point is one single-use link (an invitation, a password reset): the
 * link as a button and written out (for mail clients that strip either), that it works
 * once and until when, in a text and an HTML body that say the same.
 */
export function linkEmail(e: {
  to: string;
  subject: string;
  greeting: string;
  intro: string;
  action: string;
  button: string;
  link: string;
  expiresAt: string;
  afterExpiry: string;
  footnote: string;
}): OutgoingEmail {
  const expiry = `The link works once and expires on ${formatUtc(e.expiresAt)}. ${e.afterExpiry}`;
  const text = [e.greeting, '', e.intro, '', e.action, e.link, '', expiry, e.footnote, ''].join('\n');
  const link = escapeHtml(e.link);
  const html = `<!doctype html>
<html lang="en">
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2937">
<p>${escapeHtml(e.greeting)}</p>
<p>${escapeHtml(e.intro)}</p>
<p><a href="${link}" style="display: inline-block; padding: 10px 16px; background: #2563eb; color: #ffffff; border-radius: 6px; text-decoration: none">${escapeHtml(e.button)}</a></p>
<p>Or copy this link into your browser:<br><a href="${link}">${link}</a></p>
<p>${escapeHtml(expiry)}</p>
<p style="color: #6b7280">${escapeHtml(e.footnote)}</p>
</body>
</html>
`;
  return { to: e.to, subject: e.subject, text, html };
}

/** "2024-06-13 00:02 UTC": unambiguous for every reader, whatever their time zone. */
function formatUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export type BudgetAlertEmailInput = {
  to: string;
  /** Which budget, in words: "key my-key", "team Research", "your budget in team Research". User-provided: escaped in HTML. */
  budget: string;
  /** What was reached: "its soft budget of $5", "80% of its max budget of $10". */
  reached: string;
  spend: number;
  /** The max budget, when there is one. */
  maxBudget: number | null;
  /** ISO time the budget resets, or null when it never does. */
  resetAt: string | null;
};

/**
 * A budget alert: which budget, what it reached, what is spent and what is left,
 * and when it resets. Sent once per threshold per budget period.
 * @example budgetAlertEmail({ to, budget: 'key ci-bot', reached: '80% of its max budget of $10.00', spend: 8.1, maxBudget: 10, resetAt })
 */
export function budgetAlertEmail(input: BudgetAlertEmailInput): OutgoingEmail {
  const usd = (n: number) => `$${n.toFixed(2)}`;
  const lines = [
    `The budget of ${input.budget} has reached ${input.reached}.`,
    `Spent this period: ${usd(input.spend)}${input.maxBudget === null ? ' (no max budget).' : ` of ${usd(input.maxBudget)}; ${usd(Math.max(0, input.maxBudget - input.spend))} left.`}`,
    input.maxBudget !== null && input.spend >= input.maxBudget
      ? 'Requests on this budget are refused until it resets or its max budget is raised.'
      : 'Requests still go through until the max budget is reached.',
    input.resetAt ? `The budget resets on ${formatUtc(input.resetAt)}.` : 'This budget has no period: it does not reset on its own.',
  ];
  const subject = `onramp budget alert: ${input.budget} reached ${input.reached}`.replace(/[\r\n]+/g, ' ');
  const text = ['Hi,', '', ...lines, '', 'You get this email once per budget period for each threshold reached.', ''].join('\n');
  const html = `<!doctype html>
<html lang="en">
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2937">
<p>Hi,</p>
${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}
<p style="color: #6b7280">You get this email once per budget period for each threshold reached.</p>
</body>
</html>
`;
  return { to: input.to, subject, text, html };
}
