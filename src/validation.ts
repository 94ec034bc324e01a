import { z } from 'zod';
import { AppError } from './errors.js';

// Zod's own messages in the seed's language, so that VALIDATION_ERROR texts read as one product.
z.config(z.locales.ru());

/** Parses untrusted input with its schema, or throws VALIDATION_ERROR naming the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.') || undefined;
  const where = field ? `поле «${field}»` : 'данные запроса';
  return failValidation(`Некорректные данные: ${where} — ${issue.message}`, field);
}

export function failValidation(message: string, field?: string): never {
  throw new AppError('VALIDATION_ERROR', message, field);
}
