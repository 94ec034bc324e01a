export * from './events.js';
export * from './schemas.js';
export * from './types.js';
