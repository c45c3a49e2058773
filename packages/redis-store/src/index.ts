export { type RedisLike, RedisStore, type RedisStoreOptions } from './redis-store.js';
export { CONSUME, DETECT, REFUND } from './scripts.js';
