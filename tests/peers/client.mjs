// The field device's week, as each peer would carry it: the fixture's inspections (and their
// photos) made offline, then synced to the server through the counting proxy.
// `node client.mjs automerge PROXY_PORT CONTROL_PORT FIXTURE` or
// `node client.mjs pouchdb PROXY_PORT - FIXTURE`; prints {"wall_ms": …} when the server holds
// everything.
import fs from 'node:fs';
import path from 'node:path';

const [kind, port, controlPort, fixture] = process.argv.slice(2);
const inspections = JSON.parse(fs.readFileSync(path.join(fixture, 'inspections.json'), 'utf8'));
const photo = (h) => fs.readFileSync(path.join(fixture, 'photos', h));

if (kind === 'automerge') {
  const { Repo } = await import('@automerge/automerge-repo');
  const { BrowserWebSocketClientAdapter } = await import('@automerge/automerge-repo-network-websocket');
  // offline: the documents are made before the network is there
  const repo = new Repo({ network: [] });
  const handles = inspections.map((i) => repo.create({
    header: i.header,
    findings: i.findings,
    notes: i.notes,
    photos: Object.fromEntries(i.photos.map((h) => [h, new Uint8Array(photo(h))])),
  }));
  const start = Date.now();
  repo.networkSubsystem.addNetworkAdapter(new BrowserWebSocketClientAdapter(`ws://127.0.0.1:${port}`));
  const want = Object.fromEntries(handles.map((h) => [h.documentId, JSON.stringify(h.heads())]));
  for (;;) {
    // the control channel is not measured; a closed keep-alive is simply asked again
    const got = await fetch(`http://127.0.0.1:${controlPort}/heads`).then((r) => r.json()).catch(() => ({}));
    if (Object.entries(want).every(([id, heads]) => got[id] && JSON.stringify(got[id]) === heads)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(JSON.stringify({ wall_ms: Date.now() - start }));
  process.exit(0);
} else {
  const PouchDB = (await import('pouchdb-core')).default;
  PouchDB.plugin((await import('pouchdb-adapter-memory')).default)
    .plugin((await import('pouchdb-adapter-http')).default)
    .plugin((await import('pouchdb-replication')).default);
  const local = new PouchDB('device', { adapter: 'memory' });
  await local.bulkDocs(inspections.map((i) => ({
    _id: i.header.id,
    header: i.header,
    findings: i.findings,
    notes: i.notes,
    _attachments: Object.fromEntries(i.photos.map((h) => [h, { content_type: 'image/jpeg', data: photo(h) }])),
  })));
  const start = Date.now();
  const remote = new PouchDB(`http://127.0.0.1:${port}/agency`);
  await local.replicate.to(remote);
  console.log(JSON.stringify({ wall_ms: Date.now() - start }));
  process.exit(0);
}
