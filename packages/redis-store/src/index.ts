export { type RedisLike, RedisStore, type RedisStoreOptions } from './redis-store.js';
export { CONSUME, REFUND } from './scripts.js';
