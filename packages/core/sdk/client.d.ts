// For type-checking the live page only (tsconfig.web.json): web/app.js imports '../sdk/client.js',
// which the gateway serves from @acgateway/client's build at /sdk/client.js. Not shipped.
export * from '@acgateway/client';
