import { strings } from './table.js';

/** Strings of the panels: sign-in, new chat, search, members, settings. */
export const panelStrings = strings(
  {
    'placeholder.panels': '',
  },
  {
    'placeholder.panels': '',
  },
);
