// The example API: GET /orders lists the orders, POST /orders adds one, GET
// /healthz is healthy while the database answers. It talks to PostgreSQL with
// psql (no driver to install), which is enough for an example.
import { createServer } from 'node:http';
import { execFile } from 'node:child_process';

const port = Number(process.env.PORT ?? 8087);
const psql = (sql) =>
  new Promise((resolve, reject) =>
    execFile('psql', ['-h', '127.0.0.1', '-p', process.env.PGPORT ?? '5433', '-U', 'postgres', '-At', '-c', sql], (err, out) => (err ? reject(err) : resolve(out.trim()))),
  );

createServer(async (req, res) => {
  try {
    if (req.url === '/healthz') return res.end(await psql('select 1'));
    if (req.url === '/orders' && req.method === 'POST') return res.end(await psql("insert into orders (item) values ('widget') returning id"));
    if (req.url === '/orders') return res.end(await psql('select id, item from orders order by id'));
    res.writeHead(404).end('not found\n');
  } catch (e) {
    res.writeHead(503).end(`${e.message}\n`);
  }
}).listen(port, '127.0.0.1', () => console.log(`api listening on 127.0.0.1:${port}`));
