// A counting TCP proxy on loopback, the same for every system measured: bytes each way and
// round trips (a client→server burst followed by a server→client burst, per connection).
// `node proxy.mjs TARGET_PORT` prints `listening PORT`; a line `stats` on stdin prints the
// counts as JSON.
import net from 'node:net';
import readline from 'node:readline';

const target = Number(process.argv[2]);
const stats = { bytes_up: 0, bytes_down: 0, round_trips: 0, connections: 0 };
const server = net.createServer((client) => {
  stats.connections += 1;
  let last = 'down';
  const upstream = net.connect(target, '127.0.0.1');
  client.on('data', (b) => { stats.bytes_up += b.length; last = 'up'; upstream.write(b); });
  upstream.on('data', (b) => {
    stats.bytes_down += b.length;
    if (last === 'up') stats.round_trips += 1;
    last = 'down';
    client.write(b);
  });
  const end = () => { client.destroy(); upstream.destroy(); };
  client.on('close', end); upstream.on('close', end);
  client.on('error', end); upstream.on('error', end);
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
readline.createInterface({ input: process.stdin }).on('line', (l) => {
  if (l.trim() === 'stats') console.log(JSON.stringify(stats));
});
