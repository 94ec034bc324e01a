import { strings } from './table.js';

/** Strings any part of the page uses: error codes, the language switch. */
export const commonStrings = strings(
  {
    'app.name': 'Parley',
    'language.label': 'Language',
    'language.en': 'English',
    'language.ru': 'Русский',
    'error.VALIDATION_ERROR': 'Some of what you entered is not valid.',
    'error.UNAUTHORIZED': 'Please sign in again.',
    'error.FORBIDDEN': 'You do not have access to this.',
    'error.BANNED': 'This account has been banned by a moderator.',
    'error.NOT_FOUND': 'Not found.',
    'error.CONFLICT': 'That is already taken or has changed.',
    'error.RATE_LIMITED': 'Too many requests: try again in a moment.',
    'error.UNAVAILABLE': 'The server is busy: try again in a moment.',
    'error.INTERNAL': 'Something went wrong on the server.',
    'error.OFFLINE': 'Cannot reach the server. Check your connection.',
    'error.TIMEOUT': 'The server did not answer in time.',
  },
  {
    'app.name': 'Parley',
    'language.label': 'Язык',
    'language.en': 'English',
    'language.ru': 'Русский',
    'error.VALIDATION_ERROR': 'Некорректные данные.',
    'error.UNAUTHORIZED': 'Войдите снова.',
    'error.FORBIDDEN': 'Доступ запрещён.',
    'error.BANNED': 'Учётная запись заблокирована модератором.',
    'error.NOT_FOUND': 'Не найдено.',
    'error.CONFLICT': 'Уже занято или изменилось.',
    'error.RATE_LIMITED': 'Слишком много запросов, попробуйте позже.',
    'error.UNAVAILABLE': 'Сервер занят, попробуйте позже.',
    'error.INTERNAL': 'Внутренняя ошибка сервера.',
    'error.OFFLINE': 'Нет связи с сервером. Проверьте подключение.',
    'error.TIMEOUT': 'Сервер не ответил вовремя.',
  },
);
