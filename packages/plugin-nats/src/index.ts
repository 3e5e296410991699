export { nats, nats as default, natsTopics } from './plugin.js';
export { optionsSchema, type NatsOptions, type NatsOptionsInput } from './options.js';
export { NatsBridge } from './bridge.js';
export { covers, intersectPatterns, wantedImports } from './wire/interest.js';
export { commandSubject, escapeLevel, kvKeyOf, parseKvKey, parseSubject, subjectFilter, subjectOf, unescapeLevel } from './wire/subjects.js';
