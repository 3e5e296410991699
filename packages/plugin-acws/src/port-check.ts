import net from 'node:net';
import dgram from 'node:dgram';

/**
 * Is something already listening on this port (all interfaces)? Only "in use" counts; any other
 * bind failure (a privileged port) is left for acServer itself to report.
 */
export async function portInUse(port: number, protocol: 'tcp' | 'udp'): Promise<boolean> {
  if (protocol === 'tcp') {
    return new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
      server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(false)));
    });
  }
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', (err: NodeJS.ErrnoException) => {
      sock.close();
      resolve(err.code === 'EADDRINUSE');
    });
    sock.bind({ port, address: '0.0.0.0', exclusive: true }, () => sock.close(() => resolve(false)));
  });
}

/** The first of the wanted ports that is taken, described for an error message. */
export async function firstBusyPort(ports: Array<{ port: number | undefined; protocol: 'tcp' | 'udp'; what: string }>): Promise<string | undefined> {
  for (const p of ports) {
    if (p.port === undefined) continue;
    if (await portInUse(p.port, p.protocol)) return `${p.what} port ${p.port} (${p.protocol.toUpperCase()})`;
  }
  return undefined;
}
