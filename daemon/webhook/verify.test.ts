import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signBody, verifyWebhook, type WebhookHeaders, type WebhookType } from './verify.js';

describe('verifyWebhook fixed vectors', () => {
  // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
  const ghSecret = "It's a Secret to Everybody";
  const ghBody = Buffer.from('Hello, World!');
  const ghSig = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it('accepts GitHub documentation test vector', () => {
    expect(signBody(ghSecret, ghBody)).toBe(ghSig);
    expect(verifyWebhook('github', ghSecret, { 'x-hub-signature-256': ghSig }, ghBody)).toBe(true);
    expect(verifyWebhook('github', ghSecret, { 'X-Hub-Signature-256': ghSig.toUpperCase().replace('SHA256=', 'sha256=') }, ghBody)).toBe(
      true,
    );
  });

  it('rejects GitHub requests with a wrong body, secret, algorithm or missing header', () => {
    expect(verifyWebhook('github', ghSecret, { 'x-hub-signature-256': ghSig }, Buffer.from('Hello, World?'))).toBe(false);
    expect(verifyWebhook('github', 'other', { 'x-hub-signature-256': ghSig }, ghBody)).toBe(false);
    expect(verifyWebhook('github', ghSecret, { 'x-hub-signature': ghSig.replace('sha256', 'sha1') }, ghBody)).toBe(false);
    expect(verifyWebhook('github', ghSecret, { 'x-hub-signature-256': ghSig.slice(0, -2) }, ghBody)).toBe(false);
    expect(verifyWebhook('github', ghSecret, {}, ghBody)).toBe(false);
    // Duplicated headers are ambiguous.
    expect(verifyWebhook('github', ghSecret, { 'x-hub-signature-256': [ghSig, ghSig] }, ghBody)).toBe(false);
  });

  it('generic uses X-Signature with the same HMAC', () => {
    const body = Buffer.from('{"ref":"refs/heads/main"}');
    // echo -n '{"ref":"refs/heads/main"}' | openssl dgst -sha256 -hmac s3cr3t
    const sig = 'sha256=8588fd50c04ac2c191575340c4c0fe284157898def8e4d10af822f05dd7c9bb5';
    expect(signBody('s3cr3t', body)).toBe(sig);
    expect(verifyWebhook('generic', 's3cr3t', { 'X-Signature': sig }, body)).toBe(true);
    expect(verifyWebhook('generic', 's3cr3T', { 'x-signature': sig }, body)).toBe(false);
    expect(verifyWebhook('generic', 's3cr3t', { 'x-hub-signature-256': signBody('s3cr3t', body) }, body)).toBe(false);
  });

  it('gitlab compares the token exactly', () => {
    const body = Buffer.from('{}');
    expect(verifyWebhook('gitlab', 'tok-123', { 'X-Gitlab-Token': 'tok-123' }, body)).toBe(true);
    expect(verifyWebhook('gitlab', 'tok-123', { 'x-gitlab-token': 'tok-12' }, body)).toBe(false);
    expect(verifyWebhook('gitlab', 'tok-123', { 'x-gitlab-token': 'tok-1234' }, body)).toBe(false);
    expect(verifyWebhook('gitlab', 'tok-123', { 'x-gitlab-token': ' tok-123' }, body)).toBe(false);
    expect(verifyWebhook('gitlab', 'tok-123', {}, body)).toBe(false);
  });

  it('an empty secret never verifies, even with a matching signature', () => {
    const body = Buffer.from('x');
    expect(verifyWebhook('github', '', { 'x-hub-signature-256': signBody('', body) }, body)).toBe(false);
    expect(verifyWebhook('gitlab', '', { 'x-gitlab-token': '' }, body)).toBe(false);
    expect(verifyWebhook('bogus' as WebhookType, 'x', { 'x-signature': signBody('x', body) }, body)).toBe(false);
  });
});

describe('verifyWebhook fuzzing (seeded)', () => {
  const type = fc.constantFrom<WebhookType>('github', 'gitlab', 'generic');
  const headerName = fc.oneof(
    fc.constantFrom('x-hub-signature-256', 'X-Hub-Signature-256', 'x-gitlab-token', 'x-signature', 'X-Signature', 'content-type'),
    fc.string({ maxLength: 20 }),
  );
  const headerValue = fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 80 }),
    fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }),
    fc.stringMatching(/^sha256=[0-9a-f]{64}$/),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `sha256=${Buffer.from(b).toString('hex')}`),
  );
  const headers = fc.dictionary(headerName, headerValue, { maxKeys: 6 }) as fc.Arbitrary<WebhookHeaders>;
  const body = fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b));
  const secret = fc.string({ minLength: 1, maxLength: 40 });

  it('random headers and bodies never crash and never verify without the secret', () => {
    fc.assert(
      fc.property(type, secret, headers, body, (t, s, h, b) => {
        // The attacker's headers are random: they do not know `s`. A forged HMAC would need a collision.
        const ok = verifyWebhook(t, s, h, b);
        expect(typeof ok).toBe('boolean');
        if (t === 'gitlab') {
          const tok = Object.entries(h).filter(([k]) => k.toLowerCase() === 'x-gitlab-token');
          if (ok) expect(tok.map(([, v]) => v)).toEqual([s]);
        } else expect(ok).toBe(false);
      }),
      { seed: 20240601, numRuns: 2000 },
    );
  });

  it('a correctly signed request verifies; flipping any body byte or using another secret does not', () => {
    fc.assert(
      fc.property(
        type,
        secret,
        secret,
        body.filter((b) => b.length > 0),
        fc.nat(),
        (t, s, other, b, pos) => {
          const h: WebhookHeaders =
            t === 'gitlab' ? { 'X-Gitlab-Token': s } : { [t === 'github' ? 'X-Hub-Signature-256' : 'X-Signature']: signBody(s, b) };
          expect(verifyWebhook(t, s, h, b)).toBe(true);
          if (other !== s) expect(verifyWebhook(t, other, h, b)).toBe(false);
          if (t !== 'gitlab') {
            const flipped = Buffer.from(b);
            const i = pos % flipped.length;
            flipped[i] = (flipped[i] as number) ^ 0x01;
            expect(verifyWebhook(t, s, h, flipped)).toBe(false);
          }
        },
      ),
      { seed: 42, numRuns: 1500 },
    );
  });
});
