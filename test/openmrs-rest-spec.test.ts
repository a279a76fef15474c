// The pure parts of the OpenMRS representation layer: the `v` parser and the Java
// formatting of display strings. Nothing running needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RepresentationSpecError, parseRep } from '../publisher/openmrs-rest/custom-spec.ts';
import { ageOn, ddMMyyyy, ddMMyyyyHHmm, javaDecimal, yyyyMMdd } from '../publisher/openmrs-rest/java-format.ts';

test('levels: no v is default, names are case-insensitive', () => {
  assert.equal(parseRep(undefined), 'default');
  assert.equal(parseRep('ref'), 'ref');
  assert.equal(parseRep('FULL'), 'full');
  assert.equal(parseRep('Default'), 'default');
});

test('custom specs nest, default to `default`, and take links as a flag', () => {
  assert.deepEqual(parseRep('custom:(uuid,display,patient:ref,obs:(uuid,value,concept:(uuid,name:full)),links)'), {
    links: true,
    custom: [
      { name: 'uuid', rep: 'default' },
      { name: 'display', rep: 'default' },
      { name: 'patient', rep: 'ref' },
      {
        name: 'obs',
        rep: { links: false, custom: [{ name: 'uuid', rep: 'default' }, { name: 'value', rep: 'default' }, { name: 'concept', rep: { links: false, custom: [{ name: 'uuid', rep: 'default' }, { name: 'name', rep: 'full' }] } }] },
      },
    ],
  });
  // Bahmni's atomfeed client logs in with exactly this.
  assert.deepEqual(parseRep('custom:(uuid)'), { links: false, custom: [{ name: 'uuid', rep: 'default' }] });
  assert.deepEqual(parseRep('custom:( uuid , person:REF )'), { links: false, custom: [{ name: 'uuid', rep: 'default' }, { name: 'person', rep: 'ref' }] });
});

test('bad specs are RepresentationSpecErrors that say what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['sync2', /v must be ref, default, full, sync or custom/],
    ['custom:uuid', /in parentheses/],
    ['custom:()', /empty property name/],
    ['custom:(uuid,)', /empty property name/],
    ['custom:(uuid,(display))', /empty property name|not a property name/],
    ['custom:(uuid,patient:(uuid)', /parentheses/],
    ['custom:(uuid,patient:(uuid)))', /parentheses/],
    ['custom:(uuid,patient:short)', /"short" is not ref, default, full/],
    ['custom:(uuid,uuid)', /named twice/],
    ["custom:(uuid';drop table obs)", /not a property name/],
    [`custom:(${'a:('.repeat(12)}uuid${')'.repeat(12)})`, /nested deeper than 8/],
    [`custom:(${'x,'.repeat(1500)}uuid)`, /longer than 2000/],
  ];
  for (const [v, message] of cases) {
    assert.throws(() => parseRep(v), (err: unknown) => err instanceof RepresentationSpecError && err.status === 400 && message.test(err.message), v);
  }
});

test('decimals as OpenMRS writes them in display strings (#0.0#####, half-even)', () => {
  assert.equal(javaDecimal(50), '50.0');
  assert.equal(javaDecimal(37.5), '37.5');
  assert.equal(javaDecimal(36.6), '36.6');
  assert.equal(javaDecimal(0.1234567), '0.123457');
  assert.equal(javaDecimal(0.0000004), '0.0');
  assert.equal(javaDecimal(10000000), '10000000.0');
  assert.equal(javaDecimal(-2.25), '-2.25');
  assert.equal(javaDecimal(0.0000135), '0.000014');
  assert.equal(javaDecimal(2.5e-7), '0.0');
});

test('dates and ages', () => {
  assert.equal(ddMMyyyy('2016-03-09T15:00:00.000+0000'), '09/03/2016');
  assert.equal(ddMMyyyyHHmm('2016-03-09T14:05:00.000+0000'), '09/03/2016 14:05');
  assert.equal(yyyyMMdd('2016-03-09T00:00:00.000+0000'), '2016-03-09');
  assert.equal(ageOn('1980-05-17T00:00:00.000+0000', null, '2026-05-16'), 45);
  assert.equal(ageOn('1980-05-17T00:00:00.000+0000', null, '2026-05-17'), 46);
  assert.equal(ageOn('1980-05-17T00:00:00.000+0000', '2000-01-01T00:00:00.000+0000', '2026-05-17'), 19, 'age at death');
  assert.equal(ageOn(null, null, '2026-05-17'), null);
});
