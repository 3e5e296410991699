/**
 * The retired `cors` option as an `allowedOrigins` list, and what to tell a config that still sets it.
 * `true`/`'*'` allowed any page (the original's default); `false` sent no CORS headers.
 */
export function originsFromRetiredCors(cors: boolean | string | string[]): { allowedOrigins: string[]; warning: string } {
  const allowedOrigins = cors === true || cors === '*' ? ['*'] : cors === false ? [] : typeof cors === 'string' ? [cors] : cors;
  return {
    allowedOrigins,
    warning: `robocar.cors is retired: use robocar.allowedOrigins: ${JSON.stringify(allowedOrigins)} (its default is the gateway's server.allowedOrigins: the gateway's own page only)`,
  };
}
