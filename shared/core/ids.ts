import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** A LiteLLM-shaped id (uuid v4) for users, teams and invitations. */
export const newUuid = (): string => randomUUID();

/** `bytes` random bytes as base64url (16 bytes = 128 bits). */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');
