import { Hono } from 'hono';
import { isProxyAdmin, type Principal } from '../../auth/roles';
import type { KeyItem } from '../../keys/model';
import type { AppEnv } from '../core/env';
import { CopyField, Csrf } from './forms';
import { chrome, Layout } from './layout';
import { formatDate } from './format';
import { actorOf, render } from './render';

/**
 * Keys the scheduled rotation gave a new secret: the owner (or, for a key with no
 * owner, a proxy admin) reads it once on a page, signed in, as POST /key/rotated_secret.
 * The secret is rendered from the POST's response only: never stored in a page, a URL or a cookie.
 */

const keyLabel = (k: KeyItem) => k.key_alias ?? k.key_name;

/** Whose rotated secret this caller may read: the same rule as `Keys.revealRotated`. */
const readsRotatedSecretOf = (actor: Principal, k: KeyItem) => k.user_id === actor.userId || (isProxyAdmin(actor) && !k.user_id);

/** The notice on the keys page: one line and one button per key whose new secret waits. */
export function RotatedSecretsWaiting(p: { keys: KeyItem[]; actor: Principal; csrf: string | undefined }) {
  const waiting = p.keys.filter((k) => k.sealed_secret && readsRotatedSecretOf(p.actor, k));
  if (waiting.length === 0) return null;
  return (
    <section class="card" aria-labelledby="rotated-heading" id="rotated-secrets">
      <h2 id="rotated-heading">New secrets waiting</h2>
      <p class="notice">
        These keys rotate on a schedule and got a new secret. Read it once, then put it in your tools before the old secret stops working.
      </p>
      <ul>
        {waiting.map((k) => (
          <li>
            <form method="post" action={`/ui/keys/${k.token}/rotated-secret`}>
              <Csrf token={p.csrf} />
              Key <strong>{keyLabel(k)}</strong> got a new secret
              {k.last_rotation_at ? ` on ${formatDate(k.last_rotation_at)}` : ''}
              {k.previous_secret_until ? `; the old one works until ${formatDate(k.previous_secret_until)}` : ''}.{' '}
              <button type="submit" aria-label={`Show the new secret of key ${keyLabel(k)}`}>
                Show new secret
              </button>
            </form>
          </li>
        ))}
      </ul>
    </section>
  );
}

export const rotatedKeyPages = new Hono<AppEnv>().post('/keys/:token/rotated-secret', async (c) => {
  const actor = actorOf(c);
  // Refusals (not the owner, already read, no such key) become the pages' error page.
  const { secret, item } = await c.get('deps').keys.revealRotated(actor, c.req.param('token'));
  return render(
    c,
    <Layout title="New key secret" {...await chrome(c, '/ui')}>
      <section class="card" aria-labelledby="rotated-secret-heading">
        <h2 id="rotated-secret-heading">Key {keyLabel(item)}</h2>
        <p class="notice">
          Copy this secret now: <strong>it is shown only once</strong>.
          {item.previous_secret_until
            ? ` The old secret keeps working until ${formatDate(item.previous_secret_until)}; after that only this one does.`
            : ' The old secret no longer works.'}
        </p>
        <CopyField id="rotated-key" label={`New secret of key ${keyLabel(item)}`} value={secret} />
      </section>
      <p>
        <a href="/ui">Back to your keys</a>
      </p>
    </Layout>,
  );
});
