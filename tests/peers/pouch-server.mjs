// CouchDB-style replication's server: express-pouchdb over an in-memory PouchDB.
// `node pouch-server.mjs` prints `listening PORT`.
import express from 'express';
import expressPouchDB from 'express-pouchdb';
import PouchDB from 'pouchdb-core';
import memory from 'pouchdb-adapter-memory';
import httpAdapter from 'pouchdb-adapter-http';
import mapreduce from 'pouchdb-mapreduce';
import replication from 'pouchdb-replication';

PouchDB.plugin(memory).plugin(httpAdapter).plugin(mapreduce).plugin(replication);
const Mem = PouchDB.defaults({ adapter: 'memory' });
const app = express();
app.use('/', expressPouchDB(Mem, { mode: 'minimumForPouchDB', inMemoryConfig: true, logPath: '/dev/null' }));
const server = app.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
