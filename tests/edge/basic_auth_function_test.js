// Runs wpfleet's CloudFront Function (src/backends/aws/basic_auth_function.js, as wpfleet
// fills it in) under node against CloudFront-shaped viewer-request events. Run by
// tests/unit/backends/aws_edge_function_test.cc, which generates the function with:
//   user "bbws-sit", passwords "current-Pa55word" and "previous-Pa55word" (a rotation),
//   allow ["203.0.113.0/24", "198.51.100.7", "2001:db8:abcd::/48"], realm "sit".
// Usage: node basic_auth_function_test.js GENERATED.js TEMPLATE.js; exit 0 when all pass.
'use strict';
const assert = require('assert');
const fs = require('fs');

// A CloudFront Function is a script whose top level defines handler(); node runs it the
// same way, with the modules CloudFront gives it (crypto, Buffer).
function load(path) {
  const code = fs.readFileSync(path, 'utf8');
  return new Function('require', 'Buffer', code + '\nreturn handler;')(require, Buffer);
}

function event(ip, authorization) {
  const headers = { host: { value: 'goldencrust.wpsit.kimmyai.io' } };
  if (authorization !== undefined) headers.authorization = { value: authorization };
  return {
    version: '1.0',
    context: { distributionDomainName: 'd111111abcdef8.cloudfront.net',
               distributionId: 'EDFDVBD6EXAMPLE', eventType: 'viewer-request',
               requestId: '4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==' },
    viewer: { ip: ip },
    request: { method: 'GET', uri: '/wp-admin/', querystring: {}, headers: headers, cookies: {} }
  };
}

const basic = (text) => 'Basic ' + Buffer.from(text, 'utf8').toString('base64');
const outside = '192.0.2.10';

let failures = 0;
function check(name, fn) {
  try {
    fn();
    console.log('ok   ' + name);
  } catch (e) {
    failures++;
    console.log('FAIL ' + name + ': ' + e.message);
  }
}
function passes(result) {
  assert.strictEqual(result.statusCode, undefined, 'answered ' + result.statusCode);
  assert.strictEqual(result.uri, '/wp-admin/');
}
function refused(result, realm = 'sit') {
  assert.strictEqual(result.statusCode, 401);
  assert.strictEqual(result.statusDescription, 'Unauthorized');
  assert.strictEqual(result.headers['www-authenticate'].value, 'Basic realm="' + realm + '", charset="UTF-8"');
  assert.match(result.headers['content-type'].value, /^text\/html/);
  assert.strictEqual(result.headers['cache-control'].value, 'no-store');
  assert.strictEqual(result.body.encoding, 'text');
  assert.match(result.body.data, /<h1>This site is protected<\/h1>/);
}

const handler = load(process.argv[2]);
check('the right password passes', () => passes(handler(event(outside, basic('bbws-sit:current-Pa55word')))));
check('the previous password passes during a rotation',
      () => passes(handler(event(outside, basic('bbws-sit:previous-Pa55word')))));
check('the scheme is case-insensitive', () =>
      passes(handler(event(outside, 'basic ' + Buffer.from('bbws-sit:current-Pa55word').toString('base64')))));
check('a wrong password is refused', () => refused(handler(event(outside, basic('bbws-sit:guess')))));
check('a wrong user is refused', () => refused(handler(event(outside, basic('admin:current-Pa55word')))));
check('no Authorization header is refused', () => refused(handler(event(outside))));
check('another scheme is refused', () => refused(handler(event(outside, 'Bearer ' + basic('bbws-sit:current-Pa55word').slice(6)))));
check('bad base64 is refused', () => refused(handler(event(outside, 'Basic !!not*base64!!'))));
check('base64 of the wrong length is refused', () => refused(handler(event(outside, 'Basic YWJj'.slice(0, 9)))));
check('credentials without a colon are refused', () => refused(handler(event(outside, basic('bbws-sitcurrent-Pa55word')))));
check('Basic with nothing after it is refused', () => refused(handler(event(outside, 'Basic '))));
check('an empty header is refused', () => refused(handler(event(outside, ''))));
check('an allowed IPv4 range passes without a password', () => passes(handler(event('203.0.113.45'))));
check('an allowed single address passes', () => passes(handler(event('198.51.100.7'))));
check('the address next to it is refused', () => refused(handler(event('198.51.100.8'))));
check('an allowed IPv6 range passes', () => passes(handler(event('2001:db8:abcd:12::1'))));
check('an allowed IPv6 range written in full passes',
      () => passes(handler(event('2001:0db8:abcd:0000:0000:0000:0000:0001'))));
check('an IPv6 address outside the range is refused', () => refused(handler(event('2001:db8:abce::1'))));
check('an IPv4-mapped IPv6 viewer counts as its IPv4 address', () => passes(handler(event('::ffff:203.0.113.9'))));
check('a disallowed viewer without a password is refused', () => refused(handler(event(outside))));
check('a disallowed viewer with the password passes', () => passes(handler(event('2001:db8::1', basic('bbws-sit:current-Pa55word')))));
check('a malformed viewer address is refused', () => refused(handler(event('203.0.113'))));

// The template as it is in the repository refuses everyone.
const template = load(process.argv[3]);
check('the unfilled template refuses the password', () => refused(template(event(outside, basic('bbws-sit:current-Pa55word'))), 'wpfleet'));
check('the unfilled template allows no address', () => refused(template(event('203.0.113.45')), 'wpfleet'));

process.exit(failures === 0 ? 0 : 1);
