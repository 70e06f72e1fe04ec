/**
 * zod/mini ships without messages (every issue would read "Invalid input"). This
 * gives it classic zod's English ones — "Too small: expected number to be >=0" —
 * which API clients and configuration errors show. `en` is imported by name so the
 * bundle carries only the English locale. Import this module for its effect
 * wherever zod/mini parses.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
