/**
 * The one error table of the product: every failure a client can see has a code, a Russian text
 * (the seed speaks Russian) and an HTTP status. Services throw AppError; each transport turns it
 * into the wire envelope with `toErrorEnvelope` — the only place an unknown error becomes INTERNAL.
 */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'BANNED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export const ERRORS: Record<ErrorCode, { status: number; text: string }> = {
  VALIDATION_ERROR: { status: 400, text: 'Некорректные данные' },
  UNAUTHORIZED: { status: 401, text: 'Требуется авторизация' },
  FORBIDDEN: { status: 403, text: 'Доступ запрещён' },
  /** The account was banned by a moderator: its tokens, connections and logins are refused until unbanned. */
  BANNED: { status: 403, text: 'Учётная запись заблокирована модератором' },
  NOT_FOUND: { status: 404, text: 'Не найдено' },
  CONFLICT: { status: 409, text: 'Конфликт данных' },
  RATE_LIMITED: { status: 429, text: 'Слишком много запросов, попробуйте позже' },
  UNAVAILABLE: { status: 503, text: 'Сервис временно недоступен, попробуйте позже' },
  INTERNAL: { status: 500, text: 'Внутренняя ошибка сервера' },
};

/** Texts used in more than one place; the chat one is the seed's own wording. */
export const TEXTS = {
  noChatAccess: 'У вас нет доступа к этому чату',
  badCredentials: 'Неверный email или пароль',
  invalidToken: 'Недействительный токен',
  expiredToken: 'Срок действия токена истёк',
  unknownUser: 'Пользователь не найден',
  unknownEvent: 'Неизвестное событие',
  tooManyInFlight: 'Слишком много запросов ждут ответа, дождитесь ответов на предыдущие',
  unknownRoute: 'Маршрут не найден',
  unknownMessage: 'Сообщение не найдено в этом чате',
  unknownChatCursor: 'Чат не найден среди ваших чатов',
  unknownSearchCursor: 'Сообщение не найдено в ваших чатах',
  notMessageAuthor: 'Изменять и удалять можно только свои сообщения',
  messageDeleted: 'Сообщение удалено',
  invalidReaction: 'Реакция должна быть одним эмодзи или коротким именем из списка',
  tooManyReactions: 'У сообщения слишком много разных реакций',
  tooManyPins: 'В чате слишком много закреплённых сообщений',
  unknownFile: 'Файл не найден',
  directChatMembers: 'В личном чате нельзя менять участников',
  directChatFixed: 'У личного чата нет ролей, названия и настроек',
  adminsOnly: 'Это могут только администраторы и владелец чата',
  ownerOnly: 'Это может только владелец чата',
  outranked: 'Нельзя удалить владельца или администратора: это может только владелец',
  ownRole: 'Владелец не меняет свою роль: он передаёт владение другому участнику',
  notChatMember: 'Пользователь не состоит в этом чате',
  tooManyMembers: 'Слишком много участников в чате',
  emailTaken: 'Пользователь с таким email уже существует',
  usernameTaken: 'Пользователь с таким именем уже существует',
  passwordLoginDisabled: 'Регистрация и вход по паролю отключены: войдите через внешнего провайдера',
  passwordRequired: 'Для удаления учётной записи введите пароль',
  wrongPassword: 'Неверный пароль',
  blockedSender: 'Пользователь заблокировал вас: ваши сообщения в этот чат не принимаются',
  blockedPair: 'Личный чат недоступен: один из вас заблокировал другого',
  unknownBot: 'Бот не найден',
  selfBan: 'Нельзя заблокировать собственную учётную запись',
  notModerator: 'Доступно только модераторам',
  selfBlock: 'Нельзя заблокировать самого себя',
  tooManyBlocks: 'Заблокировано слишком много пользователей',
  staleToken: 'Для удаления учётной записи войдите заново: токен должен быть выдан не более 5 минут назад',
} as const;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = ERRORS[code].text,
    /** The payload field at fault, for VALIDATION_ERROR. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

export const forbiddenChat = () => new AppError('FORBIDDEN', TEXTS.noChatAccess);

export interface ErrorEnvelope {
  success: false;
  error: string;
  code: ErrorCode;
  field?: string;
}

/** Wire form of any thrown value. Unknown errors never leak their message. */
export function toErrorEnvelope(error: unknown): ErrorEnvelope {
  const appError = toAppError(error);
  return appError.field === undefined
    ? { success: false, error: appError.message, code: appError.code }
    : { success: false, error: appError.message, code: appError.code, field: appError.field };
}

/** Store/driver errors that mean "the database is not there right now" become UNAVAILABLE. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isUnavailable(error)) return new AppError('UNAVAILABLE');
  return new AppError('INTERNAL');
}

/**
 * node-postgres reports a lost or unobtainable connection with a plain Error that has no code
 * (a server that went away mid-session, the pool's connect timeout, a client already broken);
 * these are its messages for that, as of pg 8 / pg-pool 3.
 */
const PG_CONNECTION_LOST =
  /^(Connection terminated|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end)/;

function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (code === undefined && error instanceof Error && PG_CONNECTION_LOST.test(error.message)) return true;
  if (typeof code !== 'string') return false;
  // Node socket errors, and PostgreSQL classes 08 (connection), 57P (shutdown), 57014 (statement
  // timeout), 53 (resources).
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code) ||
    code.startsWith('08') ||
    code.startsWith('57P') ||
    code === '57014' ||
    code.startsWith('53')
  );
}
