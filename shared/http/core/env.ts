import type { Principal } from '../../auth/roles';
import type { Session } from '../../auth/session';
import type { KeyItem } from '../../keys/model';
import type { Deps } from '../../composition/deps';

/** The one context type every route and middleware shares. */
export type AppEnv = {
  Variables: {
    requestId: string;
    deps: Deps;
    /** Who is calling; null for anonymous requests. */
    principal: Principal | null;
    /** The virtual key the caller sent, already checked (not blocked, not expired). */
    callerKey: KeyItem | null;
    /** The cookie session, when the caller is authenticated by one. */
    session: Session | null;
  };
};
