import { DomainError } from '../../core/errors';
import type { TeamItem } from '../../teams/model';

/**
 * The API's messages keep LiteLLM's wording (scripts match on it: "User=… not assigned
 * to team=…"); a person on the pages gets the same refusal in plain words, with teams
 * named by their alias rather than their id.
 */

type NamedTeam = Pick<TeamItem, 'team_id' | 'team_alias'>;

/** What each key route lets a member do, for "may not …" sentences. */
const KEY_ROUTE_WORDS: Record<string, string> = {
  '/key/generate': 'create keys',
  '/key/update': 'change keys',
  '/key/delete': 'delete keys',
  '/key/regenerate': 'regenerate keys',
  '/key/block': 'block keys',
  '/key/unblock': 'unblock keys',
  '/key/info': 'see key details',
  '/key/list': 'list keys',
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The error with its message rewritten for a person; kind and param are kept, so
 * the page shows it next to the same field with the same status.
 * @param teams teams the reader may know by name (ids of others are left as they are).
 */
export function inPlainWords(err: unknown, teams: readonly NamedTeam[], actorId: string): unknown {
  if (!(err instanceof DomainError)) return err;
  const name = (id: string) => {
    const alias = teams.find((t) => t.team_id === id)?.team_alias;
    return alias ? `"${alias}"` : id;
  };
  let message = err.message;

  const notAssigned = /^User=(\S+) not assigned to team=(\S+?)\.$/.exec(message);
  const noPermission = /^Team member does not have permission for (\/key\/\w+)\. Your permissions in team (\S+)/.exec(message);
  if (notAssigned) {
    const who = notAssigned[1] === actorId ? 'You are' : 'That user is';
    message = `${who} not a member of team ${name(notAssigned[2]!)}.`;
  } else if (noPermission) {
    const what = KEY_ROUTE_WORDS[noPermission[1]!] ?? `use ${noPermission[1]}`;
    const team = name(noPermission[2]!);
    message = `Members of team ${team} may not ${what}. Ask a proxy admin or an admin of the team to allow it (team page, Member permissions).`;
  } else if (/^User already in team: user_id=\S+ is already a member of team_id=\S+?\.$/.test(message)) {
    const team = /team_id=(\S+?)\.$/.exec(message)![1]!;
    message = `This person is already a member of team ${name(team)}.`;
  } else if (message.startsWith('No team selected.')) {
    message = 'No team selected. Your account can only create keys inside a team: select one of yours.';
  } else {
    for (const t of teams) {
      if (!t.team_alias) continue;
      const id = escapeRegExp(t.team_id);
      message = message.replace(new RegExp(`\\bteam(?:_id)?[= ]${id}\\b`, 'g'), `team "${t.team_alias}"`).replace(new RegExp(`\\b${id}\\b`, 'g'), `"${t.team_alias}"`);
    }
  }
  return message === err.message ? err : new DomainError(err.kind, message, err.param, { cause: err });
}
