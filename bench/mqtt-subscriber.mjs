// The subscriber of the MQTT bench, in a process of its own so its CPU is not the publisher's.
// Driven over IPC: {op:'start', url, topic} -> subscribes; {op:'reset'} zeroes the counts;
// {op:'report'} -> {count, latenciesUs}; the publisher puts its monotonic clock (µs) in `hr`.
import { connectAsync } from 'mqtt';

let client;
let count = 0;
let lat = [];
const nowUs = () => {
  const t = process.hrtime();
  return t[0] * 1e6 + Math.floor(t[1] / 1e3);
};
process.on('message', async (msg) => {
  if (msg.op === 'start') {
    client = await connectAsync(msg.url, { protocolVersion: 5, reconnectPeriod: 0 });
    client.on('message', (_topic, payload) => {
      count++;
      const text = payload.toString();
      const i = text.lastIndexOf('"hr":');
      if (i >= 0) lat.push(nowUs() - Number.parseInt(text.slice(i + 5), 10));
    });
    await client.subscribeAsync(msg.topic, { qos: 0 });
    process.send({ op: 'ready' });
  } else if (msg.op === 'reset') {
    count = 0;
    lat = [];
    process.send({ op: 'reset' });
  } else if (msg.op === 'report') {
    process.send({ op: 'report', count, latenciesUs: lat });
  } else if (msg.op === 'stop') {
    await client?.endAsync(true);
    process.exit(0);
  }
});
