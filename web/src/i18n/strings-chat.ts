import { strings } from './table.js';

/** Strings of the chat list and the conversation. */
export const chatStrings = strings(
  {
    'placeholder.chat': '',
  },
  {
    'placeholder.chat': '',
  },
);
