// wpfleet's basic auth at CloudFront: a CloudFront Function (runtime cloudfront-js-2.0)
// on the viewer-request event of every cache behaviour of an environment's distribution.
// A request passes when its viewer address is in the environment's `allow` ranges or when
// its Authorization header carries the environment's user and password; any other gets a
// 401 that asks for them. wpfleet fills in the three values marked by a comment below (see
// backends/aws/edge_function.cc); as it is here, the file is valid JavaScript that refuses
// everyone, which is how tests/edge/basic_auth_function_test.js runs it under node.
//
// The function never holds the password: only the SHA-256 of "user:password" (hex), which
// is safe to publish because the password is 32 random characters from a CSPRNG, far
// beyond any guessing. During a rotation it may hold two hashes.
const crypto = require('crypto');

const CREDENTIAL_HASHES = /*@hashes*/[];
// Each range as [address bytes (4 or 16), prefix length], parsed by wpfleet.
const ALLOW = /*@allow*/[];
const REALM = /*@realm*/"wpfleet";

const PAGE = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  '<meta name="robots" content="noindex, nofollow"><title>This site is protected</title>' +
  '</head><body style="font-family: sans-serif; max-width: 36em; margin: 4em auto; ' +
  'padding: 0 1em; line-height: 1.5"><h1>This site is protected</h1>' +
  '<p>It asks for a user name and password before it shows anything. Reload this page ' +
  'to enter them.</p><p>If you do not have them, ask the people who run this site for ' +
  'access.</p></body></html>\n';

function unauthorized() {
  return {
    statusCode: 401,
    statusDescription: 'Unauthorized',
    headers: {
      'www-authenticate': { value: 'Basic realm="' + REALM + '", charset="UTF-8"' },
      'content-type': { value: 'text/html; charset=utf-8' },
      // No cache may show the refusal again once the visitor has logged in.
      'cache-control': { value: 'no-store' }
    },
    body: { encoding: 'text', data: PAGE }
  };
}

// "203.0.113.7" as 4 bytes; null when it is not a dotted quad.
function ipv4Bytes(text) {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = [];
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part) || Number(part) > 255) return null;
    bytes.push(Number(part));
  }
  return bytes;
}

// "2001:db8::1" (or "::ffff:203.0.113.7") as 16 bytes; null when it is not IPv6.
function ipv6Bytes(text) {
  let tail = [];
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {  // an embedded IPv4 address ends it
    tail = ipv4Bytes(text.substring(lastColon + 1));
    if (!tail) return null;
    text = text.substring(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = head.concat(new Array(missing).fill('0'), rest);
  const bytes = [];
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, tail[0], tail[1], tail[2], tail[3]);
  return bytes;
}

// The viewer's address as bytes; an IPv4-mapped IPv6 address counts as its IPv4 one.
function addressBytes(text) {
  const v4 = ipv4Bytes(text);
  if (v4) return v4;
  const v6 = ipv6Bytes(text);
  if (!v6) return null;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

function inRange(address, range) {
  const network = range[0];
  if (network.length !== address.length) return false;
  let bits = range[1];
  for (let i = 0; i < address.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((address[i] & mask) !== (network[i] & mask)) return false;
  }
  return true;
}

function allowed(viewerIp) {
  const address = addressBytes(String(viewerIp || ''));
  return address !== null && ALLOW.some((range) => inRange(address, range));
}

// Compares every character, so that how long a refusal takes says nothing of the hash.
function sameText(a, b) {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

// Whether the Authorization header is "Basic <base64 of user:password>" with the
// environment's credentials. Anything malformed is simply not them.
function authorized(header) {
  if (!header) return false;
  const match = /^basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header.value);
  if (!match || match[1].length % 4 !== 0) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  if (decoded.indexOf(':') < 0) return false;
  const hash = crypto.createHash('sha256').update(decoded).digest('hex');
  let found = false;
  for (const wanted of CREDENTIAL_HASHES) found = sameText(hash, wanted) || found;
  return found;
}

function handler(event) {
  const request = event.request;
  if (allowed(event.viewer && event.viewer.ip)) return request;
  if (authorized(request.headers.authorization)) return request;
  return unauthorized();
}
