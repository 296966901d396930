import test from 'ava';
import { formatPath, isPrefixOf, parsePath, pathFromIds, pathLevel, pathsEqual } from '../../src/content/path.js';
import { Lwm2mError } from '../../src/errors.js';

test('paths parse and format at every level', (t) => {
  for (const p of ['/', '/3', '/3/0', '/3/0/1', '/3/0/6/0']) t.is(formatPath(parsePath(p)), p);
  t.deepEqual(parsePath('3/0/1'), { objectId: 3, instanceId: 0, resourceId: 1 });
  t.is(pathLevel(parsePath('/3/0/6/0')), 'resourceInstance');
  t.is(pathLevel(parsePath('/')), 'root');
});

test('invalid paths are rejected with a bad-request error', (t) => {
  for (const p of ['/a', '/3/0/1/2/3', '/65535', '/3/-1', '/3/0x1']) {
    const e = t.throws(() => parsePath(p));
    t.true(e instanceof Lwm2mError && e.code === 'LWM2M_ERR_BAD_REQUEST', p);
  }
});

test('prefix test follows the hierarchy', (t) => {
  t.true(isPrefixOf(parsePath('/3'), parsePath('/3/0/1')));
  t.true(isPrefixOf(parsePath('/'), parsePath('/3')));
  t.false(isPrefixOf(parsePath('/3/1'), parsePath('/3/0/1')));
});

test('pathsEqual agrees with comparing formatted paths; pathFromIds builds the path of its ids', (t) => {
  const texts = ['/', '/3', '/3/0', '/3/1', '/3/0/7', '/3/0/7/0', '/3/0/7/1', '/4/0/7/1', '/3303/0/5700'];
  for (const a of texts) for (const b of texts) t.is(pathsEqual(parsePath(a), parsePath(b)), a === b, `${a} vs ${b}`);
  for (const text of texts) t.deepEqual(pathFromIds(text.split('/').filter(Boolean).map(Number)), parsePath(text));
});
