import WebSocket from 'ws';

/** A gateway client that records frames; `next(pred)` waits for a matching frame. */
export async function gatewayClient(url: string, options?: WebSocket.ClientOptions) {
  const ws = new WebSocket(url, options);
  const frames: any[] = [];
  const waiters: Array<{ pred: (f: any) => boolean; resolve: (f: any) => void }> = [];
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString());
    frames.push(f);
    for (const w of [...waiters]) if (w.pred(f)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(f); }
  });
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  return {
    ws,
    frames,
    send: (f: unknown) => ws.send(typeof f === 'string' ? f : JSON.stringify(f)),
    next: (pred: (f: any) => boolean, ms = 3000) => {
      const hit = frames.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise<any>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching frame in ${ms} ms; got ${JSON.stringify(frames).slice(0, 500)}`)), ms);
        waiters.push({ pred, resolve: (f) => { clearTimeout(t); resolve(f); } });
      });
    },
    closed: () => new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    close: () => ws.close(),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
