/**
 * What the user has typed in each chat and not sent yet, in localStorage: it survives switching
 * chats and a reload. Kept per user, since one browser may be signed in as several in turn.
 */
export class Drafts {
  constructor(private readonly userId: string) {}

  get(chatId: string): string {
    try {
      return localStorage.getItem(this.key(chatId)) ?? '';
    } catch {
      return ''; // storage refused (private mode, quota): no draft
    }
  }

  /** An empty text removes the draft. */
  set(chatId: string, text: string): void {
    try {
      if (text) localStorage.setItem(this.key(chatId), text);
      else localStorage.removeItem(this.key(chatId));
    } catch {
      // Storage refused: the text stays in the composer, only not across a reload.
    }
  }

  private key(chatId: string): string {
    return `parley.draft.${this.userId}.${chatId}`;
  }
}
