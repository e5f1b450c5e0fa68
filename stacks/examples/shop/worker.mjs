// The example worker: places an order every 5 seconds through the API.
const api = process.env.API ?? 'http://127.0.0.1:8087';
setInterval(async () => {
  try {
    const r = await fetch(`${api}/orders`, { method: 'POST' });
    console.log(`placed order ${(await r.text()).trim()}`);
  } catch (e) {
    console.error(`cannot reach the API: ${e.message}`);
  }
}, 5000);
console.log(`worker started; API at ${api}`);
