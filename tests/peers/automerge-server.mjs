// automerge-repo's own sync server: a Repo with the WebSocket server adapter and the Node
// file system storage. `node automerge-server.mjs DIR` prints `listening PORT CONTROL_PORT`;
// GET http://127.0.0.1:CONTROL_PORT/heads answers each document's heads (what the client
// waits for), off the measured connection.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { Repo } from '@automerge/automerge-repo';
import { NodeWSServerAdapter } from '@automerge/automerge-repo-network-websocket';
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs';

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
const repo = new Repo({
  network: [new NodeWSServerAdapter(wss)],
  storage: new NodeFSStorageAdapter(process.argv[2]),
  peerId: 'sync-server',
  sharePolicy: async () => false,
});
const control = http.createServer((req, res) => {
  const heads = {};
  for (const [id, h] of Object.entries(repo.handles)) {
    if (h.isReady()) heads[id] = h.heads();
  }
  res.setHeader('content-type', 'application/json');
  res.setHeader('connection', 'close');
  res.end(JSON.stringify(heads));
});
wss.on('listening', () => {
  control.listen(0, '127.0.0.1', () =>
    console.log(`listening ${wss.address().port} ${control.address().port}`));
});
