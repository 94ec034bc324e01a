/**
 * The one seam between the SQL and the two ways of reaching PostgreSQL (embedded PGlite or a
 * pooled server). Queries are plain parameterised PostgreSQL 15 SQL written once in the store.
 */
export interface SqlExecutor {
  /** Runs one statement with `$1…$n` parameters and returns its rows. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs several `;`-separated statements without parameters (migrations). */
  script(text: string): Promise<void>;
}

export interface Database extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs one read statement like query, for the big reads (pages, chat lists, sync): where the
   * connection is shared on the event loop's thread (PGlite), waiting writes go before it
   * (connection-turns.ts); on a pooled server it is a query.
   */
  read<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs `work` in one transaction on one connection; commits if it resolves, rolls back if it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Connections of the pool right now; only a pooled server has one (not PGlite). */
  poolStats?(): { total: number; idle: number; waiting: number };
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Whether `error` is PostgreSQL's unique violation (SQLSTATE 23505) of the constraint or unique
 * index `name`, as either driver raises it: the name is looked for in the error's `constraint`
 * field and in its message.
 */
export function isUniqueViolation(error: unknown, name: string): boolean {
  const e = error as { code?: string; constraint?: string; message?: string } | undefined;
  return e?.code === '23505' && `${e.constraint ?? ''} ${e.message ?? ''}`.includes(name);
}
