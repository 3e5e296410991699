export { acudp, acudpClientRef } from './acudp.js';
export { optionsSchema, replaySchema, type AcudpOptions, type AcudpOptionsInput } from './options.js';
