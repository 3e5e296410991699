export * from './protocol/index.js';
export * from './client/index.js';
export * from './fake/index.js';
export * from './record/index.js';
export * from './plugin/index.js';
import { acudp } from './plugin/acudp.js';
export default acudp;
