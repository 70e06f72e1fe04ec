import type { Child } from 'hono/jsx';
import { MASTER_KEY_USER_ID, readsEverything, type Principal } from '../../auth/roles';
import { Csrf } from './forms';
import { PHONE_CSS } from './phone';
import { takeFlash } from './flash';
import { type PageContext } from './render';

/** Small, readable, high-contrast styles; focus is always visible. Inline so there is no extra request and no CDN. */
export const CSS = `
:root{--fg:#1b1f24;--muted:#4b5563;--bg:#fff;--line:#d0d7de;--accent:#0a58ca;--danger:#b42318;--ok:#0f6b3a;--soft:#f3f5f8}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem;top:.5rem}
header{background:#10223d;color:#fff}
header nav{max-width:72rem;margin:0 auto;display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.6rem 1rem}
header a{color:#fff;text-decoration:none;padding:.25rem .35rem;border-radius:4px}
header a:hover,header a[aria-current=page]{text-decoration:underline;text-underline-offset:4px}
header .brand{font-weight:700;font-size:1.1rem;margin-right:.5rem}
header .who{margin-left:auto;font-size:.9rem;color:#dbe4f0}
header form{margin:0}
header ul{list-style:none;display:flex;flex-wrap:wrap;gap:.5rem;margin:0;padding:0}
main{max-width:72rem;margin:0 auto;padding:1rem 1rem 3rem}
main:focus{outline:none}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:2rem 0 .75rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
section.card,form.card,details.card{border:1px solid var(--line);border-radius:8px;padding:1rem 1.25rem;margin:1rem 0;background:#fff}
.card>h2:first-child,.card>h3:first-child{margin-top:0}
summary{cursor:pointer;font-weight:600}
.field{margin:.75rem 0;display:flex;flex-direction:column;gap:.25rem;max-width:36rem}
label,legend{font-weight:600}
.optional{font-weight:400;color:var(--muted)}
.hint{margin:0;color:var(--muted);font-size:.9rem}
input[type=text],input[type=email],input[type=password],input[type=number],select,textarea{font:inherit;padding:.45rem .55rem;border:1px solid #8c959f;border-radius:6px;width:100%;background:#fff;color:var(--fg)}
.invalid input,.invalid select,.invalid textarea,fieldset.invalid{border-color:var(--danger)}
fieldset{border:1px solid var(--line);border-radius:8px;margin:.75rem 0;padding:.5rem 1rem;max-width:36rem}
.check{display:flex;flex-direction:row;align-items:center;gap:.5rem;margin:.3rem 0}
.check label{font-weight:400}
.field-error{margin:0;color:var(--danger);font-weight:600;font-size:.95rem}
.alert{border-left:4px solid var(--danger);background:#fdecea;padding:.6rem .9rem;margin:.75rem 0;border-radius:4px}
.flash{border-left:4px solid var(--ok);background:#e8f5ee;padding:.6rem .9rem;margin:.75rem 0;border-radius:4px}
.notice{border-left:4px solid var(--accent);background:#eaf2fe;padding:.6rem .9rem;margin:.75rem 0;border-radius:4px}
button,.button{font:inherit;font-weight:600;padding:.45rem 1rem;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}
button.danger{background:var(--danger);border-color:var(--danger)}
button.link{background:none;border:none;color:#fff;text-decoration:underline;padding:.25rem .35rem;font-weight:400}
.field.copy{max-width:52rem}
.copy-row{display:flex;gap:.5rem}
.copy-row input{flex:1;font-family:ui-monospace,Menlo,Consolas,monospace}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border-bottom:1px solid var(--line);padding:.45rem .5rem;text-align:left;vertical-align:top}
th{background:var(--soft)}
td form{margin:0;display:inline}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;background:var(--soft);padding:0 .2rem;border-radius:3px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
.inline-fields{display:flex;flex-wrap:wrap;gap:0 1rem;align-items:flex-end}
.inline-fields .field{min-width:14rem}
.muted{color:var(--muted)}
ul.plain{margin:0;padding-left:1rem}
svg.chart{display:block;max-width:36rem;height:auto}
.audit ul{margin:.25rem 0;padding-left:1.25rem}
.audit h2,.audit li,.audit code{overflow-wrap:anywhere}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}
` + PHONE_CSS;

export type LayoutProps = {
  title: string;
  principal: Principal | null;
  /** The session's CSRF token, for the sign-out form. */
  csrf?: string;
  /** Who is signed in, as shown in the header. */
  who?: string;
  /** The path of the page, to mark the current link. */
  current?: string;
  flash?: string;
  children?: Child;
};

function Nav(p: { principal: Principal; current?: string }) {
  const links: Array<[string, string]> = [
    ['/ui', 'Keys'],
    ['/ui/teams', 'Teams'],
    ['/ui/usage', 'Usage'],
    ...(readsEverything(p.principal)
      ? ([
          ['/ui/users', 'Internal users'],
          ['/ui/settings', 'Default user settings'],
          ['/ui/models', 'Models'],
          ['/ui/audit', 'Audit log'],
        ] as Array<[string, string]>)
      : []),
    ['/ui/account', 'Account'],
  ];
  return (
    <ul>
      {links.map(([href, text]) => (
        <li>
          <a href={href} aria-current={p.current === href ? 'page' : undefined}>
            {text}
          </a>
        </li>
      ))}
    </ul>
  );
}

/** Every page: skip link, header with navigation and sign-out, one <h1>, the flash message, the content. */
export function Layout(p: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${p.title} · onramp`}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
        <script src="/ui/static/copy.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to main content
        </a>
        <header>
          <nav aria-label="Main">
            <a class="brand" href="/ui">
              onramp
            </a>
            {p.principal ? <Nav principal={p.principal} current={p.current} /> : null}
            {p.principal ? (
              <>
                <span class="who">
                  {p.who ?? p.principal.userId} · {p.principal.role}
                </span>
                <form method="post" action="/logout" class="logout">
                  <Csrf token={p.csrf} />
                  <button type="submit" class="link">
                    Sign out
                  </button>
                </form>
              </>
            ) : null}
          </nav>
        </header>
        <main id="main" tabindex={-1}>
          <h1>{p.title}</h1>
          {p.flash ? (
            <div class="flash" role="status">
              {p.flash}
            </div>
          ) : null}
          {p.children}
        </main>
      </body>
    </html>
  );
}

/** The layout's props for the current request: who is signed in, their CSRF token, the flash message. */
export async function chrome(c: PageContext, current?: string): Promise<Omit<LayoutProps, 'title' | 'children'>> {
  const principal = c.get('principal');
  let who: string | undefined;
  if (principal) {
    who =
      principal.userId === MASTER_KEY_USER_ID
        ? 'admin (master key)'
        : ((await c.get('deps').users.get(principal.userId))?.user_email ?? principal.userId);
  }
  return { principal, csrf: c.get('session')?.csrf, who, current, flash: c.req.method === 'GET' ? takeFlash(c) : undefined };
}
