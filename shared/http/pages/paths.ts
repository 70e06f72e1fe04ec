/** Where the pages of one team or one user live. */
export const teamPath = (id: string) => `/ui/teams/${encodeURIComponent(id)}`;
export const userPath = (id: string) => `/ui/users/${encodeURIComponent(id)}`;
