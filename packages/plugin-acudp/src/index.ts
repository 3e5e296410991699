export * from './wire/index.js';
export * from './client/index.js';
export * from './record/index.js';
export { acudp, acudpClientRef } from './plugin.js';
export { acudpTopics, type AcudpTopics } from './topics.js';
export { optionsSchema, replaySchema, type AcudpOptions, type AcudpOptionsInput } from './options.js';
import { acudp } from './plugin.js';
export default acudp;
