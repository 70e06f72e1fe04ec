import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';

/** One email to one recipient, with both an HTML and a plain-text body. */
export type OutgoingEmail = { to: string; subject: string; text: string; html: string };

/** Sends email. The app only depends on this, so tests and other transports can stand in for SES. */
export interface Mailer {
  /** Resolves with the provider's message id; rejects with an {@link EmailError} saying why not. */
  send(email: OutgoingEmail): Promise<string>;
}

/** An email that could not be sent; `message` is fit to show an admin. */
export class EmailError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmailError';
  }
}

/**
 * A conservative check of a recipient address: one `@`, a dotted domain, no
 * spaces, quotes, angle brackets or line breaks (header injection). SES checks
 * too, but the local SES endpoint accepts anything, so we never rely on it.
 */
export function isDeliverableAddress(address: string): boolean {
  if (address.length > 254) return false;
  const match = /^([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+)@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$/.exec(address);
  if (!match) return false;
  const local = match[1]!;
  return local.length <= 64 && !local.startsWith('.') && !local.endsWith('.') && !local.includes('..');
}

export type SesMailerOptions = {
  region: string;
  /** The verified SES identity mail is sent from (`ONRAMP_SES_SENDER`). */
  sender: string;
  /** Another SES endpoint, e.g. the local one; dummy credentials are used with it. */
  endpoint?: string;
  /**
   * The most one send may take, retries included; then it fails and the caller
   * reports the email as not sent.
   * @default 4000
   */
  timeoutMs?: number;
};

/** See {@link SesMailerOptions.timeoutMs}. */
export const SEND_TIMEOUT_MS = 4_000;

/** {@link Mailer} over SES's v1 `SendEmail` API. */
export class SesMailer implements Mailer {
  private readonly client: SESClient;

  constructor(private readonly opts: SesMailerOptions) {
    this.client = new SESClient({
      region: opts.region,
      // Fail in seconds, not minutes: the request that sends the mail is waiting for it.
      // `requestTimeout` alone only logs a warning: `throwOnRequestTimeout` makes it fail.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
      ...(opts.endpoint ? { endpoint: opts.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
  }

  async send(email: OutgoingEmail): Promise<string> {
    if (!isDeliverableAddress(email.to)) throw new EmailError(`"${email.to}" is not a valid email address.`);
    const charset = 'UTF-8';
    // A hard deadline over every attempt: a hanging endpoint never hangs the request.
    const deadline = this.opts.timeoutMs ?? SEND_TIMEOUT_MS;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), deadline);
    try {
      const out = await this.client.send(
        new SendEmailCommand({
          Source: this.opts.sender,
          Destination: { ToAddresses: [email.to] },
          Message: {
            Subject: { Data: email.subject, Charset: charset },
            Body: { Text: { Data: email.text, Charset: charset }, Html: { Data: email.html, Charset: charset } },
          },
        }),
        { abortSignal: abort.signal },
      );
      return out.MessageId ?? '';
    } catch (err) {
      if (abort.signal.aborted) throw new EmailError(`SES did not answer within ${deadline / 1000} s; the email to ${email.to} was not sent.`, { cause: err });
      // Network failures arrive wrapped by the SDK; the wrapped message is the useful part.
      const reason = (err instanceof Error ? err.message || err.name : String(err)).replace(/^AWS SDK error wrapper for /, '');
      throw new EmailError(`SES did not accept the email to ${email.to}: ${reason}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}
