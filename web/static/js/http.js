// http.js: one call to the REST API with the login cookie, for the page's
// and the admin console's own requests (parley.js has the client's).

// api sends method path with an optional JSON body and resolves with the
// decoded answer (null when empty), or rejects with an Error carrying the
// server's message and the status.
export async function api(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new Error('the server could not be reached');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (err) {
    data = null;
  }
  if (!res.ok) {
    const e = new Error((data && data.error && data.error.message) || res.status + ' ' + res.statusText);
    e.status = res.status;
    throw e;
  }
  return data;
}
